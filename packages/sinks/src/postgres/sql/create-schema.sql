-- {{schema}}: the schema, quoted.
CREATE SCHEMA IF NOT EXISTS {{schema}}
