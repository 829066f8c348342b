-- Where COPY puts a batch of pages before the upserts move them: COPY cannot say ON CONFLICT.
-- One per connection (TEMP: no WAL, no other session sees it), emptied at every commit, so each
-- batch starts from nothing; made once per session rather than per batch, which would churn
-- the system catalogs.
-- Two kinds of rows, told apart by record_key:
--   a record:  page_ord, ord (its index in its page), record_key, value (the record);
--   a page:    page_ord, ord -1, record_key NULL, value (the page: its provenance, next tasks
--              and record count, as upsert-pages.sql and the records upsert read them).
-- page_ord is the page's place among all the pages the sink took, in arrival order (bigint: it
-- counts for the sink's whole life): with ord, it says which of two records with one key came
-- last. record_key sorts bytewise (COLLATE "C"): the upsert sorts by
-- it, and any one order will do, the cheapest best.
CREATE TEMP TABLE IF NOT EXISTS capital_sink_staging (
  page_ord bigint NOT NULL,
  ord int NOT NULL,
  record_key text COLLATE "C",
  value jsonb NOT NULL
) ON COMMIT DELETE ROWS
