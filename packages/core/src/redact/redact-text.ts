import { handedOutSecrets } from './secret-registry.js';

/** What a secret is replaced with. */
export const redactedMark = '[redacted]';

/**
 * The spellings under which a secret travels: as is, URL-encoded (`encodeURIComponent`, and form
 * encoding with `+` for spaces, as `URLSearchParams` writes query strings), and JSON-escaped (a
 * body that quotes the request back). Percent escapes come in upper and lower case: servers echo
 * either.
 */
export function secretSpellings(secret: string): readonly string[] {
  let spellings = spellingCache.get(secret);
  if (spellings === undefined) {
    // Bounded: secrets are few; this only stops a pathological caller from growing it forever.
    if (spellingCache.size >= 1024) spellingCache.clear();
    spellings = spellOut(secret);
    spellingCache.set(secret, spellings);
  }
  return spellings;
}

const spellingCache = new Map<string, readonly string[]>();

function spellOut(secret: string): readonly string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const asciiJson = json.replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const component = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  // PHP's json_encode, behind many APIs, also escapes "/" as "\/".
  const phpJson = json.replaceAll('/', '\\/');
  const spellings = new Set([secret, json, asciiJson, phpJson, component, form]);
  for (const encoded of [component, form]) {
    spellings.add(encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
    // A JSON body may quote a URL: the encoded form, JSON-escaped.
    spellings.add(JSON.stringify(encoded).slice(1, -1));
  }
  spellings.delete('');
  return [...spellings].sort((a, b) => b.length - a.length);
}

/**
 * Removes every spelling of every secret from a text: by default, of every secret the credential
 * resolver handed out in this process.
 *
 * @example redactText(`Unknown api_token ${token}`) // 'Unknown api_token [redacted]'
 */
export function redactText(text: string, secrets: readonly string[] = handedOutSecrets()): string {
  let redacted = text;
  for (const secret of secrets) {
    for (const spelling of secretSpellings(secret)) {
      if (redacted.includes(spelling)) redacted = redacted.split(spelling).join(redactedMark);
    }
  }
  return redacted;
}
