import { describe, expect, it } from 'vitest';
import { CapitalError, isCapitalError } from '../errors.js';
import { taskKey } from '../task.js';
import { isPaginationError, PaginationError } from './pagination-error.js';

const task = { type: 'stripe.charges', starting_after: 'ch_9' };

describe('PaginationError', () => {
  it('is a CapitalError with a machine code, the page of its chain, the task key and the reason', () => {
    const error = new PaginationError(task, 4, 'cycle', 'the chain came back to a page it had already had');
    expect(error).toBeInstanceOf(CapitalError);
    expect(isCapitalError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'PaginationError', code: 'cycle', page: 4, retryable: false });
    expect(error.taskKey).toBe(taskKey(task));
    expect(error.reason).toBe('the chain came back to a page it had already had');
    expect(error.message).toBe(
      `Task ${taskKey(task).slice(0, 12)} (stripe.charges): pagination stopped at page 4 of its chain (cycle): the chain came back to a page it had already had`,
    );
  });

  it('is recognised across copies of the package by its name and brand', () => {
    const error = new PaginationError(task, 1, 'max-pages', 'too many');
    const copy = Object.assign(Object.create(Error.prototype), { ...error, name: 'PaginationError' });
    copy[Symbol.for('capital.error')] = true;
    expect(isPaginationError(error)).toBe(true);
    expect(isPaginationError(copy)).toBe(true);
    expect(isPaginationError(new Error('x'))).toBe(false);
    expect(isPaginationError(null)).toBe(false);
  });
});
