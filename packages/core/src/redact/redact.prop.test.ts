import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { runHandler } from '../call-handler.js';
import { createCredentialResolver } from '../credentials.js';
import {
  HttpStatusError,
  InvalidResponseError,
  NonErrorThrownError,
  TaskFailedError,
  TransientError,
} from '../errors.js';
import type { LogFields } from '../logger.js';
import type { Handler } from '../task.js';
import { redactingLogger } from './redacting-logger.js';

// Whatever a third party echoes the token in — the body of a 200 or a 5xx, a URL, a JSON quote —
// and whichever path the error takes out of a handler, the token comes out nowhere.

/** Tokens with characters that every encoding treats differently (no brackets: the mark uses them). */
const tokenArb = fc
  .string({
    unit: fc.constantFrom(...'abcXYZ0189-_.~+/=&?% "\\\'é€:;,'.split('')),
    minLength: 8,
    maxLength: 32,
  })
  .map((body) => `k${body}`);

const encodings = {
  raw: (token: string) => token,
  uri: (token: string) => encodeURIComponent(token),
  uriLower: (token: string) => encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
  form: (token: string) => new URLSearchParams({ t: token }).toString().slice(2),
  json: (token: string) => JSON.stringify(token).slice(1, -1),
  jsonAscii: (token: string) =>
    JSON.stringify(token)
      .slice(1, -1)
      .replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
  jsonOfUri: (token: string) => JSON.stringify(encodeURIComponent(token)).slice(1, -1),
  jsonPhp: (token: string) => JSON.stringify(token).slice(1, -1).replaceAll('/', '\\/'),
} as const;
type Encoding = keyof typeof encodings;
const encodingArb = fc.constantFrom(...(Object.keys(encodings) as Encoding[]));

/** The ways an error leaves a handler with a text in it. */
const paths = [
  'message',
  'http-status',
  'cause',
  'deep-cause',
  'field',
  'nested-field',
  'aggregate',
  'thrown-string',
  'thrown-object',
  'stack-only',
] as const;
type ErrorPath = (typeof paths)[number];

function errorAlong(path: ErrorPath, text: string, status: number): unknown {
  switch (path) {
    case 'message':
      return new InvalidResponseError(`The body is not valid JSON: ${JSON.stringify(text.slice(0, 60))}…`, {
        retryable: true,
      });
    case 'http-status':
      return new HttpStatusError(status, text);
    case 'cause':
      return new TransientError('The request failed', { cause: new Error(text) });
    case 'deep-cause':
      return new TransientError('outer', { cause: new Error('middle', { cause: new TypeError(text) }) });
    case 'field':
      return Object.assign(new Error('The request failed'), {
        url: `https://api.test/?q=${text}`,
        body: text,
      });
    case 'nested-field':
      return Object.assign(new Error('failed'), { response: { status, body: { snippet: [text] } } });
    case 'aggregate':
      return new AggregateError([new Error(text)], 'several failed');
    case 'thrown-string':
      return text;
    case 'thrown-object':
      return { message: text };
    case 'stack-only': {
      const error = new Error('failed');
      error.stack = `Error: ${text}\n    at somewhere (file.js:1:1)`;
      return error;
    }
  }
}

/** Every spelling of the token a reader could recognise. */
function spellings(token: string): string[] {
  return Object.values(encodings).map((encode) => encode(token));
}

/** Everything of an error that can be printed or stored: message, stack, JSON, causes, errors. */
function dump(value: unknown, seen = new Set<unknown>()): string {
  if (typeof value !== 'object' || value === null) return String(value);
  if (seen.has(value)) return '';
  seen.add(value);
  const parts: string[] = [];
  if (value instanceof Error) parts.push(value.message, value.stack ?? '', String(value));
  try {
    parts.push(JSON.stringify(value));
  } catch {}
  for (const name of Object.getOwnPropertyNames(value)) {
    parts.push(dump((value as Record<string, unknown>)[name], seen));
  }
  if (value instanceof Error && value.cause !== undefined) parts.push(dump(value.cause, seen));
  return parts.join('\n');
}

const context = (logger = redactingLogger({ debug() {}, info() {}, warn() {}, error() {} })) => ({
  signal: new AbortController().signal,
  logger,
  taskKey: 'k',
  attempt: 1,
});

describe('secrets in errors and logs', () => {
  it.prop(
    {
      token: tokenArb,
      encoding: encodingArb,
      path: fc.constantFrom(...paths),
      status: fc.integer({ min: 200, max: 599 }),
      before: fc.string({ maxLength: 80 }),
      after: fc.string({ maxLength: 80 }),
    },
    { numRuns: 200 },
  )(
    'no spelling of a handed-out token leaves a handler, whatever the path, status or body',
    async (input) => {
      const resolve = createCredentialResolver({ API_TOKEN: input.token });
      const text = `${input.before}${encodings[input.encoding](input.token)}${input.after}`;
      const lines: string[] = [];
      const write = (message: string, fields?: LogFields) => lines.push(message, JSON.stringify(fields));
      const logger = redactingLogger({ debug: write, info: write, warn: write, error: write });
      const handler: Handler = async (task, { logger: log }) => {
        resolve(String(task.credentials));
        log.warn(`the API said ${text}`, { body: text, status: input.status });
        throw errorAlong(input.path, text, input.status);
      };

      const error = await runHandler(handler, { credentials: 'env:API_TOKEN' }, context(logger), {
        taskKey: 'k',
      }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      // As the crawl wraps it after the last attempt.
      const failed = new TaskFailedError({ taskKey: 'k', page: 1 }, 2, error as Error);

      expect(error).toBeInstanceOf(Error);
      if (input.path === 'thrown-string' || input.path === 'thrown-object') {
        expect(error).toBeInstanceOf(NonErrorThrownError);
      }
      const output = [dump(error), dump(failed), ...lines].join('\n');
      for (const spelling of spellings(input.token)) expect(output).not.toContain(spelling);
    },
    60_000,
  );
});
