-- Serialises the creation of the sink's schema and tables between processes: two CREATE …
-- IF NOT EXISTS running at once can both pass the check, and one then fails on a unique index
-- of the system catalogs. Held until the transaction ends.
-- $1: the schema name, as given.
SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('capital-sink:' || $1))
