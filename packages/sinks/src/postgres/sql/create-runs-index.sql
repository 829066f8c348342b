-- The index a run's opening reads its job's runs by (newest first, as list-runs orders them),
-- rather than every run of every job that writes the table. Added to a runs table made before it.
-- {{runs}}: the schema-qualified runs table, quoted. {{index}}: the index's name, quoted, without a
-- schema (an index is made in its table's).
CREATE INDEX IF NOT EXISTS {{index}} ON {{runs}} (job, started_at DESC, run_id)
