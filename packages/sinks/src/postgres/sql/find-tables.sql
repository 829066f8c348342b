-- Which of the sink's objects exist already, so that a user without the CREATE privilege can
-- write into tables made for them: CREATE … IF NOT EXISTS checks the privilege first.
-- $1: the schema name, as given. $2, $3: the records and pages tables, schema-qualified and
-- quoted ("public"."wtd_stock_search"), as to_regclass parses them.
-- Returns one row: schema, records, pages (booleans).
SELECT
  EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1) AS schema,
  pg_catalog.to_regclass($2) IS NOT NULL AS records,
  pg_catalog.to_regclass($3) IS NOT NULL AS pages
