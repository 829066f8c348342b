import { describe, expect, it } from 'vitest';
import { runHandler } from '../call-handler.js';
import { createCredentialResolver } from '../credentials.js';
import { HttpStatusError, InvalidResponseError, TaskFailedError } from '../errors.js';
import type { LogFields, Logger } from '../logger.js';
import type { Handler } from '../task.js';
import { redactError } from './redact-error.js';
import { redactText } from './redact-text.js';
import { redactingLogger } from './redacting-logger.js';

const token = 'Tok en/+"é&9f2c';
const resolve = createCredentialResolver({ ACME_TOKEN: token });

function everything(error: Error): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message, current.stack ?? '', JSON.stringify(current));
    current = current.cause;
  }
  return parts.join('\n');
}

describe('redactError', () => {
  it('removes a secret the resolver handed out from message, stack, cause chain and fields', () => {
    expect(resolve('env:ACME_TOKEN')).toBe(token);
    const inner = new InvalidResponseError(`Unknown api_token ${token}, see docs`, { retryable: true });
    const outer = new TaskFailedError({ taskKey: 'a'.repeat(64), page: 2 }, 3, inner);
    Object.assign(inner, {
      url: `https://api.test/x?api_token=${encodeURIComponent(token)}`,
      body: JSON.stringify({ message: token }),
      form: new URLSearchParams({ api_token: token }).toString(),
    });

    const redacted = redactError(outer);

    expect(redacted).toBe(outer);
    expect(redacted).toBeInstanceOf(TaskFailedError);
    expect(redacted.message).toContain('Unknown api_token [redacted], see docs');
    expect(everything(redacted)).not.toContain(token);
    expect(everything(redacted)).not.toContain(encodeURIComponent(token));
    expect(everything(redacted)).not.toContain(JSON.stringify(token).slice(1, -1));
    expect(everything(redacted)).not.toContain(new URLSearchParams({ t: token }).toString().slice(2));
    expect((inner as unknown as { retryable: boolean }).retryable).toBe(true);
  });

  it('keeps the class and fields of the error, such as the status and Retry-After', () => {
    resolve('env:ACME_TOKEN');
    const error = new HttpStatusError(503, `down for ${token}`, { retryAfterMs: 1000 });

    const redacted = redactError(error);

    expect(redacted).toMatchObject({ status: 503, retryAfterMs: 1000, retryable: true });
    expect(redacted.message).toBe('HTTP 503: down for [redacted]');
  });

  it('turns a thrown string into an error without its content', () => {
    resolve('env:ACME_TOKEN');
    expect(everything(redactError(token))).not.toContain(token);
  });

  it('survives an error whose cause points back to itself', () => {
    resolve('env:ACME_TOKEN');
    const error = new Error(token);
    error.cause = error;
    expect(redactError(error).message).toBe('[redacted]');
  });
});

describe('callHandler', () => {
  it('redacts what any handler throws: the choke point of every connector', async () => {
    const handler: Handler = async (task) => {
      const secret = resolve(String(task.credentials));
      throw new InvalidResponseError(`The body is not valid JSON: "Unknown api_token ${secret}"`, {
        retryable: true,
      });
    };
    const context = {
      signal: new AbortController().signal,
      logger: redactingLogger({ debug() {}, info() {}, warn() {}, error() {} }),
      taskKey: 'k',
      attempt: 1,
    };

    const error = await runHandler(handler, { credentials: 'env:ACME_TOKEN' }, context, {
      taskKey: 'k',
    }).then(
      () => new Error('resolved'),
      (thrown: Error) => thrown,
    );

    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(everything(error)).not.toContain(token);
    expect(error.message).toContain('[redacted]');
  });
});

describe('redactingLogger', () => {
  it('removes handed-out secrets from messages and fields', () => {
    resolve('env:ACME_TOKEN');
    const lines: string[] = [];
    const sink = (message: string, fields?: LogFields) => lines.push(`${message} ${JSON.stringify(fields)}`);
    const logger: Logger = redactingLogger({ debug: sink, info: sink, warn: sink, error: sink });

    logger.warn(`retrying ${token}`, { url: `?t=${encodeURIComponent(token)}`, error: new Error(token) });

    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(token);
    expect(lines[0]).not.toContain(encodeURIComponent(token));
    expect(lines[0]).toContain('retrying [redacted]');
  });
});

describe('redactText', () => {
  it('removes percent escapes written in lower case too', () => {
    // Servers echo escapes in either case; the token's own letters stay as they are.
    const echoed = `x=${encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())}`;
    expect(redactText(echoed, [token])).toBe('x=[redacted]');
  });
});
