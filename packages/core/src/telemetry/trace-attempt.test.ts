import { lastValueFrom, NEVER, of, throwError } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpStatusError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { HandlerContext } from '../task.js';
import { type CapitalMeasurement, observeMetrics } from './record-metric.js';
import { traceAttempt } from './trace-attempt.js';

const label = { taskKey: 'k1', type: 'acme.orders', page: 3 };
const context: HandlerContext = {
  signal: new AbortController().signal,
  logger: silentLogger,
  taskKey: 'k1',
  attempt: 2,
  limiterWaitMs: 40,
};
const task = { type: 'acme.orders', page: 3 };

let stop: (() => void) | undefined;
afterEach(() => stop?.());

function measure(): CapitalMeasurement[] {
  const seen: CapitalMeasurement[] = [];
  stop = observeMetrics((measurement) => seen.push(measurement));
  return seen;
}

describe('traceAttempt', () => {
  it('counts a page, its records and the limiter wait, and leaves nothing in flight', async () => {
    const seen = measure();
    await lastValueFrom(traceAttempt(label, context, of({ task, data: [1, 2, 3], nextTasks: [] })));
    expect(seen.map(({ name, value }) => [name, value])).toEqual([
      ['capital.pages.in_flight', 1],
      ['capital.limiter.wait', 40],
      ['capital.pages', 1],
      ['capital.records', 3],
      ['capital.pages.in_flight', -1],
    ]);
    expect(seen.find((m) => m.name === 'capital.pages')?.attributes).toEqual({
      'capital.task.type': 'acme.orders',
    });
  });

  it('counts a 429 as throttled and passes the error on', async () => {
    const seen = measure();
    const error = new HttpStatusError(429, 'Too Many Requests');
    await expect(
      lastValueFrom(
        traceAttempt(
          label,
          context,
          throwError(() => error),
        ),
      ),
    ).rejects.toBe(error);
    expect(seen.filter((m) => m.name === 'capital.http.throttled').map((m) => m.value)).toEqual([1]);
    expect(seen.filter((m) => m.name === 'capital.pages')).toEqual([]);
  });

  it('takes an attempt out of flight when it is cancelled', () => {
    const seen = measure();
    traceAttempt(label, context, NEVER).subscribe().unsubscribe();
    expect(seen.filter((m) => m.name === 'capital.pages.in_flight').map((m) => m.value)).toEqual([1, -1]);
  });
});
