-- Which of the sink's objects exist already, so that a user without the CREATE privilege can
-- write into tables made for them: CREATE … IF NOT EXISTS checks the privilege first.
-- $1: the schema name, as given. $2, $3, $4: the records, pages and runs tables,
-- schema-qualified and quoted ("public"."wtd_stock_search"), as to_regclass parses them.
-- Returns one row: schema, records, pages, runs (booleans), and pages_by_run: whether the pages
-- table has its run_id column (a table made before runs existed has not), and runs_resume_at:
-- whether the runs table has its resume_at column (one made before deferred runs has not), and
-- runs_by_job: whether the runs table has an index that starts with its job column.
SELECT
  EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1) AS schema,
  pg_catalog.to_regclass($2) IS NOT NULL AS records,
  pg_catalog.to_regclass($3) IS NOT NULL AS pages,
  pg_catalog.to_regclass($4) IS NOT NULL AS runs,
  EXISTS (
    SELECT FROM pg_catalog.pg_attribute
    WHERE attrelid = pg_catalog.to_regclass($3) AND attname = 'run_id' AND NOT attisdropped
  ) AS pages_by_run,
  EXISTS (
    SELECT FROM pg_catalog.pg_attribute
    WHERE attrelid = pg_catalog.to_regclass($4) AND attname = 'resume_at' AND NOT attisdropped
  ) AS runs_resume_at,
  EXISTS (
    SELECT FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = pg_catalog.to_regclass($4) AND a.attname = 'job'
  ) AS runs_by_job
