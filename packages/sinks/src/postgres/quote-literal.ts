/**
 * Quotes a value as an SQL string literal, as pg's `escapeLiteral` does — single quotes around
 * it, each single quote inside doubled, and, when it holds a backslash, each backslash doubled in
 * an `E'…'` literal — but in two passes of the runtime's own instead of a string grown one
 * character at a time (a page's checkpoint quotes three values: that garbage added up).
 *
 * @example quoteLiteral("it's") // "'it''s'"; quoteLiteral('a\\b') // " E'a\\\\b'"
 */
export function quoteLiteral(value: string): string {
  const quoted = `'${value.includes("'") ? value.replaceAll("'", "''") : value}'`;
  return value.includes('\\') ? ` E${quoted.replaceAll('\\', '\\\\')}` : quoted;
}
