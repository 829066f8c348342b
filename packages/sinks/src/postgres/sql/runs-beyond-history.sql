-- The runs of a job a new run pushes out of its history: all but its newest $2 (newest first, as
-- list-runs orders them) and its latest finished run with a watermark, which the next incremental
-- run asks from. Each with its disposition, for the build table an unfinished replace run left.
-- {{runs}}: the schema-qualified runs table, quoted. $1: the job. $2: how many runs it keeps.
SELECT run_id, disposition, state
FROM (
  SELECT run_id, disposition, state, watermark,
    row_number() OVER (ORDER BY started_at DESC, run_id) AS place,
    row_number() OVER (
      PARTITION BY (state = 'finished' AND watermark IS NOT NULL)
      ORDER BY started_at DESC, run_id
    ) AS place_among_marked
  FROM {{runs}}
  WHERE job = $1
) ranked
WHERE place > $2
  AND NOT (state = 'finished' AND watermark IS NOT NULL AND place_among_marked = 1)
