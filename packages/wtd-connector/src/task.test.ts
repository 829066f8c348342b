import { InvalidTaskError, taskKey } from '@capital/core';
import { describe, expect, it } from 'vitest';
import {
  checkStockSearchTask,
  defaultCredentialReference,
  stockSearchTask,
  stockSearchType,
} from './task.js';

describe('stockSearchTask', () => {
  it('makes the first page of 50 with the default credential reference', () => {
    expect(stockSearchTask({ searchTerm: 'new york' })).toEqual({
      type: 'wtd.stock_search',
      search_term: 'new york',
      limit: 50,
      page: 1,
      credentials: 'env:WTD_API_TOKEN',
    });
  });

  it('takes the page size, page and credential reference it is given', () => {
    const task = stockSearchTask({ searchTerm: 'gold', limit: 10, page: 3, credentials: 'env:OTHER_TOKEN' });

    expect(task).toEqual({
      type: stockSearchType,
      search_term: 'gold',
      limit: 10,
      page: 3,
      credentials: 'env:OTHER_TOKEN',
    });
  });

  it('carries a credential reference, never a token', () => {
    expect(stockSearchTask({ searchTerm: 'new york' }).credentials).toBe(defaultCredentialReference);
    expect(defaultCredentialReference).toMatch(/^env:[A-Z_]+$/);
  });

  it('is plain JSON that survives a round trip unchanged', () => {
    const task = stockSearchTask({ searchTerm: 'Crédit "Agricole"', page: 2 });

    expect(JSON.parse(JSON.stringify(task))).toEqual(task);
  });

  it('gives each page its own task key', () => {
    const keys = [1, 2, 3].map((page) => taskKey(stockSearchTask({ searchTerm: 'new york', page })));

    expect(new Set(keys).size).toBe(3);
  });

  it('gives equal tasks the same key, whatever the order they were built in', () => {
    const task = stockSearchTask({ searchTerm: 'new york', page: 2 });
    const reordered = {
      page: 2,
      credentials: task.credentials,
      limit: 50,
      search_term: 'new york',
      type: task.type,
    };

    expect(taskKey(reordered)).toBe(taskKey(task));
  });

  it('gives different search terms different keys', () => {
    expect(taskKey(stockSearchTask({ searchTerm: 'new york' }))).not.toBe(
      taskKey(stockSearchTask({ searchTerm: 'New York' })),
    );
  });
});

describe('checkStockSearchTask', () => {
  const task = stockSearchTask({ searchTerm: 'new york', page: 3 });

  it('returns a task that stockSearchTask made, as it is', () => {
    expect(checkStockSearchTask(JSON.parse(JSON.stringify(task)))).toEqual(task);
  });

  it("accepts the paginator's state and a reference of another scheme than env:", () => {
    const next = {
      ...task,
      credentials: 'vault:wtd/token',
      pagination: { page: 3, records: 100, power: 1, steps: 0 },
    };
    expect(checkStockSearchTask(next)).toEqual(next);
  });

  it.each([
    ['a field more', { ...task, url: 'http://x' }, 'exactly the fields'],
    ['a field less', { type: task.type, search_term: 'x', limit: 50, page: 1 }, 'exactly the fields'],
    ['another type', { ...task, type: 'other' }, '`type`'],
    ['an empty search term', { ...task, search_term: '' }, '`search_term`'],
    ['a search term of 201 characters', { ...task, search_term: 'x'.repeat(201) }, '`search_term`'],
    ['a page size above the API’s', { ...task, limit: 5000 }, '`limit`'],
    ['page 0', { ...task, page: 0 }, '`page`'],
    ['a page that is text', { ...task, page: '2' }, '`page`'],
    ['a credential that is no reference', { ...task, credentials: 'tok_live_123' }, '`credentials`'],
    ['a pagination state that is no object', { ...task, pagination: 'page 2' }, '`pagination`'],
  ])('refuses %s with an InvalidTaskError', (_what, hostile, field) => {
    expect(() => checkStockSearchTask(hostile)).toThrow(InvalidTaskError);
    expect(() => checkStockSearchTask(hostile)).toThrow(field);
  });

  it('names the field, never the value given', () => {
    expect(() => checkStockSearchTask({ ...task, credentials: 'tok_live_123' })).not.toThrow('tok_live_123');
  });
});
