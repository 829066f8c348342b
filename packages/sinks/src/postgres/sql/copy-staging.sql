-- Text format: tab-separated, backslash escapes (see copy-rows.ts and store-batch.ts).
COPY pg_temp.capital_sink_staging (page_ord, ord, record_key, value) FROM STDIN
