import { describe, expect, it } from 'vitest';
import { HttpStatusError, InvalidResponseError, TransientError } from '../errors.js';
import { retryCause } from './retry-cause.js';

describe('retryCause', () => {
  it('names a 429 apart from other HTTP statuses', () => {
    expect(retryCause(new HttpStatusError(429, 'Too Many Requests'))).toBe('http_429');
    expect(retryCause(new HttpStatusError(503, 'Service Unavailable'))).toBe('http_5xx');
  });

  it("names Capital errors by code, and a worker's attempt error by its cause", () => {
    expect(retryCause(new InvalidResponseError('<html>', { retryable: true }))).toBe('invalid_response');
    const attempt = new TransientError('attempt 1 of 6 failed', {
      code: 'TASK_ATTEMPT_FAILED',
      cause: new HttpStatusError(502, 'Bad Gateway'),
    });
    expect(retryCause(attempt)).toBe('http_5xx');
  });

  it('never uses the message, which may hold what the API sent', () => {
    expect(retryCause(new Error('token=abc <script>'))).toBe('network');
  });
});
