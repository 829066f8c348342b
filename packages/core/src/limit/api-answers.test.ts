import { lastValueFrom, Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { listenForApiAnswers, reportApiAnswer } from './api-answers.js';
import type { ApiAnswer } from './rate-learning.js';

/** An attempt that reports one answer after an await, as a handler's HTTP client does. */
function attempt(status: number, headers?: Headers): Observable<string> {
  return new Observable<string>((subscriber) => {
    void (async () => {
      await Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
      reportApiAnswer(status, headers);
      subscriber.next('page');
      subscriber.complete();
    })();
  });
}

describe('reportApiAnswer', () => {
  it('reaches the listener of the attempt it runs in, across awaits', async () => {
    const heard: ApiAnswer[] = [];
    const headers = new Headers({ 'ratelimit-limit': '10' });
    await lastValueFrom(listenForApiAnswers((answer) => heard.push(answer), attempt(429, headers)));
    expect(heard).toEqual([{ status: 429, headers }]);
  });

  it('keeps concurrent attempts apart', async () => {
    const first: number[] = [];
    const second: number[] = [];
    await Promise.all([
      lastValueFrom(listenForApiAnswers((answer) => first.push(answer.status), attempt(200))),
      lastValueFrom(listenForApiAnswers((answer) => second.push(answer.status), attempt(429))),
    ]);
    expect(first).toEqual([200]);
    expect(second).toEqual([429]);
  });

  it('does nothing outside an attempt, and a throwing listener never fails the request', async () => {
    expect(() => reportApiAnswer(200)).not.toThrow();
    const page = await lastValueFrom(
      listenForApiAnswers(() => {
        throw new Error('broken listener');
      }, attempt(200)),
    );
    expect(page).toBe('page');
  });
});
