-- Where COPY puts a page's rows before the upsert moves them: COPY cannot say ON CONFLICT.
-- One per connection (TEMP), emptied at every commit, so each page starts from nothing; made
-- once per session rather than per page, which would churn the system catalogs.
CREATE TEMP TABLE IF NOT EXISTS capital_sink_staging (
  ord int NOT NULL,
  record_key text NOT NULL,
  record jsonb NOT NULL
) ON COMMIT DELETE ROWS
