import { of, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { runHandler as callHandler } from './call-handler.js';
import { InvalidTaskResultError } from './errors.js';
import type { Handler } from './task.js';

const task = { type: 't', page: 1 };
const label = { taskKey: 'k'.repeat(12), type: 't', page: 1 };
const context = {
  signal: new AbortController().signal,
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  taskKey: 'k',
  attempt: 1,
};

describe('callHandler', () => {
  it('resolves with the page a Promise handler returns, as the task the job ran', async () => {
    const handler: Handler = async () => ({ task: { other: true }, data: [1], nextTasks: [] });
    await expect(callHandler(handler, task, context, label)).resolves.toEqual({
      task,
      data: [1],
      nextTasks: [],
    });
  });

  it('takes the first page an Observable handler emits', async () => {
    const handler: Handler = () => of({ task, data: [1], nextTasks: [] }, { task, data: [2], nextTasks: [] });
    await expect(callHandler(handler, task, context, label)).resolves.toMatchObject({ data: [1] });
  });

  it('unsubscribes once it has the page', async () => {
    const subject = new Subject<{ task: typeof task; data: number[]; nextTasks: never[] }>();
    const handler = (() => subject) as unknown as Handler;
    const page = callHandler(handler, task, context, label);
    subject.next({ task, data: [1], nextTasks: [] });
    await page;
    expect(subject.observed).toBe(false);
  });

  it('rejects an Observable that completes without a page', async () => {
    const handler = (() => of()) as unknown as Handler;
    await expect(callHandler(handler, task, context, label)).rejects.toThrow(InvalidTaskResultError);
  });

  it.each([
    ['null', null, 'expected { task, data, nextTasks }'],
    ['no data array', { nextTasks: [] }, '`data` is not an array'],
    ['no nextTasks array', { data: [] }, '`nextTasks` is not an array'],
  ])('rejects an answer with %s', async (_what, answer, problem) => {
    const handler = (async () => answer) as unknown as Handler;
    await expect(callHandler(handler, task, context, label)).rejects.toThrow(problem);
  });

  it('rejects with what the handler throws', async () => {
    const handler: Handler = async () => {
      throw new Error('boom');
    };
    await expect(callHandler(handler, task, context, label)).rejects.toThrow('boom');
  });
});
