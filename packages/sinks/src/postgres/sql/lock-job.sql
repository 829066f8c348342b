-- Serialises opening, finishing and resetting the runs of one job between processes, so two
-- `capital run`s of a job started together open one run, not two. Held until the transaction ends.
-- $1: the runs table and the job, as one text.
SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('capital-run:' || $1))
