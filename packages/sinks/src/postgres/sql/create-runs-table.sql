-- The runs of every job that writes this table: `running` from its start (and still, if its
-- process was killed), `interrupted` when it stopped on a failure or a signal, `finished` when
-- its last rows were committed. The watermark of an incremental run is set in the transaction
-- that finishes it, never before. resume_at: when the API said a deferred (interrupted) run may
-- go on; NULL otherwise.
-- {{runs}}: the schema-qualified runs table, quoted.
CREATE TABLE IF NOT EXISTS {{runs}} (
  run_id text PRIMARY KEY,
  job text NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'interrupted', 'finished')),
  disposition text NOT NULL CHECK (disposition IN ('append', 'merge', 'replace')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  pages int NOT NULL DEFAULT 0,
  since text,
  watermark text,
  resume_at timestamptz
)
