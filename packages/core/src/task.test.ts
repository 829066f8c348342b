import { describe, expect, it } from 'vitest';
import { InvalidTaskError } from './errors.js';
import { labelTask, type Task, taskKey } from './task.js';

describe('taskKey', () => {
  it('is the same for equal tasks whatever their key order', () => {
    const written = { type: 'wtd.stock_search', page: 2, filter: { b: 1, a: [1, { y: 2, x: 3 }] } };
    const reordered = { filter: { a: [1, { x: 3, y: 2 }], b: 1 }, page: 2, type: 'wtd.stock_search' };

    expect(taskKey(reordered)).toBe(taskKey(written));
  });

  it('differs for tasks that differ in one value', () => {
    expect(taskKey({ type: 'wtd.stock_search', page: 2 })).not.toBe(
      taskKey({ type: 'wtd.stock_search', page: 3 }),
    );
  });

  it('differs for tasks whose arrays hold the same items in another order', () => {
    expect(taskKey({ symbols: ['AAPL', 'MSFT'] })).not.toBe(taskKey({ symbols: ['MSFT', 'AAPL'] }));
  });

  it('is 64 lowercase hexadecimal characters', () => {
    expect(taskKey({ type: 'wtd.stock_search', page: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    [null, 'not null'],
    [[], 'not an array'],
    ['page 1', 'not a string'],
  ])('rejects %j, which is not an object, saying what it got', (task, what) => {
    const call = () => taskKey(task as unknown as Task);

    expect(call).toThrow(InvalidTaskError);
    expect(call).toThrow(`A task must be a plain JSON object, ${what}.`);
  });

  it('rejects a task holding a value JSON cannot carry', () => {
    expect(() => taskKey({ since: new Date(0) } as unknown as Task)).toThrow(InvalidTaskError);
  });
});

describe('labelTask', () => {
  it('names the task by key, type and page', () => {
    const task = { type: 'wtd.stock_search', page: 3, credentials: 'env:WTD_API_TOKEN' };

    expect(labelTask(task)).toEqual({ taskKey: taskKey(task), type: 'wtd.stock_search', page: 3 });
  });

  it('leaves out a type or page that is not a string or a number', () => {
    expect(labelTask({ type: 7, page: '3' }, 'k')).toEqual({
      taskKey: 'k',
      type: undefined,
      page: undefined,
    });
  });
});
