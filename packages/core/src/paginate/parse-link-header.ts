/**
 * One link of an HTTP `Link` header (RFC 8288): its target as written (maybe relative), its
 * relation types (lower-cased) and its other parameters (names lower-cased, values unquoted).
 */
export type LinkValue = {
  readonly uri: string;
  readonly rel: readonly string[];
  readonly params: Readonly<Record<string, string>>;
};

/**
 * Parses an HTTP `Link` header (RFC 8288 §3) into its links, tolerating what servers send: several
 * links (also from several header lines joined by `,`), quoted parameters holding `,` or `;` or
 * escaped quotes, a `rel` list (`rel="next last"`), unquoted values, letter case, and stray text
 * (skipped up to the next link). Only the first `rel` of a link counts, as §3.3 says.
 *
 * @example
 * parseLinkHeader('<https://api.example/items?page=2>; rel="next", </items?page=9>; rel=last')
 * // [{ uri: 'https://api.example/items?page=2', rel: ['next'], params: {} }, { uri: '/items?page=9', rel: ['last'], params: {} }]
 */
export function parseLinkHeader(header: string): LinkValue[] {
  const links: LinkValue[] = [];
  let at = 0;
  while (at < header.length) {
    const open = header.indexOf('<', at);
    if (open === -1) break;
    const close = header.indexOf('>', open + 1);
    if (close === -1) break;
    const uri = header.slice(open + 1, close).trim();
    const params: Record<string, string> = {};
    let rel: string[] | undefined;
    at = close + 1;
    // Parameters up to the next top-level comma: `; name`, `; name=token`, `; name="quoted"`.
    while (at < header.length && header[at] !== ',') {
      if (header[at] !== ';') {
        at = skipStray(header, at);
        continue;
      }
      const parsed = readParam(header, at + 1);
      at = parsed.end;
      if (parsed.name === '') continue;
      if (parsed.name === 'rel') {
        rel ??= parsed.value
          .split(/[\t ]+/)
          .filter(Boolean)
          .map((type) => type.toLowerCase());
      } else if (!(parsed.name in params)) {
        params[parsed.name] = parsed.value;
      }
    }
    links.push({ uri, rel: rel ?? [], params });
    at += 1;
  }
  return links;
}

/** Reads `name[=value]` from `from`; ends at the next `;` or `,` outside quotes. */
function readParam(header: string, from: number): { name: string; value: string; end: number } {
  let at = from;
  let name = '';
  while (at < header.length && !';,='.includes(header[at] as string)) name += header[at++];
  name = name.trim().toLowerCase();
  if (header[at] !== '=') return { name, value: '', end: at };
  at += 1;
  while (header[at] === ' ' || header[at] === '\t') at += 1;
  let value = '';
  if (header[at] === '"') {
    at += 1;
    while (at < header.length && header[at] !== '"') {
      if (header[at] === '\\' && at + 1 < header.length) at += 1;
      value += header[at++];
    }
    at += 1;
    while (at < header.length && !';,'.includes(header[at] as string)) at += 1;
  } else {
    while (at < header.length && !';,'.includes(header[at] as string)) value += header[at++];
    value = value.trim();
  }
  return { name, value, end: at };
}

/** Skips text that is neither a parameter nor a separator, honouring quotes. */
function skipStray(header: string, from: number): number {
  let at = from;
  let quoted = false;
  while (at < header.length) {
    const char = header[at];
    if (!quoted && (char === ';' || char === ',')) break;
    if (char === '\\' && quoted) at += 1;
    else if (char === '"') quoted = !quoted;
    at += 1;
  }
  return at;
}
