-- A runs table made before deferred runs gains the column that says when one may resume
-- (NULL for every run it already holds: none was deferred).
-- {{runs}}: the schema-qualified runs table, quoted.
ALTER TABLE {{runs}} ADD COLUMN IF NOT EXISTS resume_at timestamptz
