import { createCredentialResolver, runHandler, TaskFailedError } from '@capital/core';
import { fc, it } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type StubApi, sendJson, sendText, startStubApi } from '../test/stub-api.js';
import { createStockSearchHandler } from './handler.js';
import { stockSearchTask } from './task.js';

// An API that echoes the token back — in a 200 that is not JSON, a 200 with an error message, a
// 4xx or a 5xx, in any encoding, anywhere in the body — never gets it into an error.

const tokenArb = fc
  .string({ unit: fc.constantFrom(...'abcXYZ0189-_.~+/=&?% "\\é:'.split('')), minLength: 8, maxLength: 24 })
  .map((body) => `t${body}`);

const encodings = {
  raw: (token: string) => token,
  uri: (token: string) => encodeURIComponent(token),
  form: (token: string) => new URLSearchParams({ t: token }).toString().slice(2),
  json: (token: string) => JSON.stringify(token).slice(1, -1),
} as const;
type Encoding = keyof typeof encodings;

const answers = [
  'text-200',
  'html-200',
  'message-200',
  'Message-200',
  'json-4xx',
  'text-5xx',
  'json-5xx',
] as const;
type Answer = (typeof answers)[number];

let api: StubApi;
let answer: { kind: Answer; body: string; status: number } = { kind: 'text-200', body: '', status: 200 };

beforeAll(async () => {
  api = await startStubApi((_request, response) => {
    const { kind, body, status } = answer;
    if (kind === 'text-200') sendText(response, 200, body, 'text/plain');
    else if (kind === 'html-200') sendText(response, 200, `<html><body>${body}</body></html>`, 'text/html');
    else if (kind === 'message-200') sendJson(response, 200, { message: body });
    else if (kind === 'Message-200') sendJson(response, 200, { Message: body });
    else if (kind === 'json-4xx') sendJson(response, status, { message: body });
    else if (kind === 'text-5xx') sendText(response, status, body, 'text/plain');
    else sendJson(response, status, { message: body });
  });
});
afterAll(async () => {
  await api.close();
});

function everything(error: unknown): string {
  const parts: string[] = [];
  let current = error;
  while (current instanceof Error) {
    parts.push(current.message, current.stack ?? '', JSON.stringify(current));
    current = current.cause;
  }
  return parts.join('\n');
}

describe('the stock search client and handler against an API that echoes the token', () => {
  it.prop(
    {
      token: tokenArb,
      kind: fc.constantFrom(...answers),
      encoding: fc.constantFrom(...(Object.keys(encodings) as Encoding[])),
      before: fc.string({ maxLength: 90 }),
      after: fc.string({ maxLength: 40 }),
      clientError: fc.integer({ min: 400, max: 499 }).filter((status) => status !== 408 && status !== 429),
      serverError: fc.integer({ min: 500, max: 599 }),
    },
    { numRuns: 120 },
  )(
    'puts no spelling of the token into the error, whatever the body, status or encoding',
    async (input) => {
      answer = {
        kind: input.kind,
        body: `${input.before}${encodings[input.encoding](input.token)}${input.after}`,
        status: input.kind === 'json-4xx' ? input.clientError : input.serverError,
      };
      const handler = createStockSearchHandler({
        baseUrl: api.url,
        resolveCredential: createCredentialResolver({ WTD_API_TOKEN: input.token }),
        timeoutMs: 10_000,
      });
      const context = {
        signal: new AbortController().signal,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        taskKey: 'k',
        attempt: 1,
      };

      const error = await runHandler(handler, stockSearchTask({ searchTerm: 'gold' }), context, {
        taskKey: 'k',
      }).then(
        () => new Error('The handler resolved.'),
        (thrown: unknown) => thrown,
      );

      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).not.toBe('The handler resolved.');
      const output = everything(new TaskFailedError({ taskKey: 'k', page: 1 }, 1, error as Error));
      for (const encode of Object.values(encodings)) expect(output).not.toContain(encode(input.token));
    },
    60_000,
  );
});
