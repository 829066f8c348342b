-- Marks the staged pages stored, in the transaction that stores their records, for the run
-- named in each page's row. A replayed page updates its row: its next tasks are those of the
-- latest fetch, and of a page twice in one batch the last wins (ON CONFLICT cannot touch a row
-- twice in one statement).
-- {{pages}}: the schema-qualified pages table, quoted. Reads the page rows of the staging table.
INSERT INTO {{pages}} (run_id, task_key, next_tasks, records, stored_at)
SELECT DISTINCT ON (value->>'task_key') value->>'run_id', value->>'task_key', value->'next_tasks', (value->>'records')::int, now()
FROM pg_temp.capital_sink_staging
WHERE record_key IS NULL
ORDER BY value->>'task_key', page_ord DESC
ON CONFLICT (run_id, task_key) DO UPDATE
SET next_tasks = EXCLUDED.next_tasks, records = EXCLUDED.records, stored_at = EXCLUDED.stored_at
