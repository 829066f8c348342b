-- The stored pages: one row per page, written in the same transaction as the page's records,
-- so a page found here has its records stored too. The checkpoint reads it on resume.
-- {{pages}}: the schema-qualified pages table, quoted.
CREATE TABLE IF NOT EXISTS {{pages}} (
  task_key text PRIMARY KEY,
  next_tasks jsonb NOT NULL,
  records int NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now()
)
