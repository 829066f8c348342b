-- The checkpoint's question: which of these pages has this run stored, and what came after each.
-- {{pages}}: the schema-qualified pages table, quoted.
-- $1: task keys, as text[]; $2: the run id. Returns task_key, next_tasks (jsonb) for the stored ones.
SELECT task_key, next_tasks FROM {{pages}} WHERE run_id = $2 AND task_key = ANY ($1::text[])
