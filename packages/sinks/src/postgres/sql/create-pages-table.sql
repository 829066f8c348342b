-- The stored pages of each run: one row per page, written in the same transaction as the page's
-- records, so a page found here has its records stored too. The checkpoint reads the rows of
-- the run it writes; a run's rows are deleted when it finishes (its runs row keeps the count).
-- {{pages}}: the schema-qualified pages table, quoted.
CREATE TABLE IF NOT EXISTS {{pages}} (
  run_id text NOT NULL,
  task_key text NOT NULL,
  next_tasks jsonb NOT NULL,
  records int NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, task_key)
)
