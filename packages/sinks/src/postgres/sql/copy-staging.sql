-- Text format: tab-separated, backslash escapes (see copy-rows.ts).
COPY pg_temp.capital_sink_staging (ord, record_key, record) FROM STDIN
