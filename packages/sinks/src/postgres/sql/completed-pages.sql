-- The checkpoint's question: which of these pages are stored, and what came after each.
-- {{pages}}: the schema-qualified pages table, quoted.
-- $1: task keys, as text[]. Returns task_key, next_tasks (jsonb) for the stored ones.
SELECT task_key, next_tasks FROM {{pages}} WHERE task_key = ANY ($1::text[])
