-- Marks a page stored, in the transaction that stores its records. A replayed page updates
-- its row: its next tasks are those of the latest fetch.
-- {{pages}}: the schema-qualified pages table, quoted.
-- $1: task key. $2: next tasks, as JSON. $3: records in the page.
INSERT INTO {{pages}} (task_key, next_tasks, records, stored_at)
VALUES ($1, $2::jsonb, $3, now())
ON CONFLICT (task_key) DO UPDATE
SET next_tasks = EXCLUDED.next_tasks, records = EXCLUDED.records, stored_at = EXCLUDED.stored_at
