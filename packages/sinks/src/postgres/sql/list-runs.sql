-- A job's runs, newest first, with the pages each has stored (a finished run: its count).
-- {{runs}}, {{pages}}: the schema-qualified tables, quoted. $1: the job.
SELECT r.run_id, r.job, r.state, r.disposition, r.started_at, r.finished_at, r.since, r.watermark,
  r.resume_at,
  CASE WHEN r.state = 'finished' THEN r.pages
       ELSE (SELECT count(*)::int FROM {{pages}} p WHERE p.run_id = r.run_id) END AS pages
FROM {{runs}} r
WHERE r.job = $1
ORDER BY r.started_at DESC, r.run_id
