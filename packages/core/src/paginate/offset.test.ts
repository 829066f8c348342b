import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { offset } from './offset.js';
import { PaginationError } from './pagination-error.js';

type OrdersTask = { type: 'acme.orders'; offset?: number };
type Body = { items: { id: number }[]; count?: number };

const seed: OrdersTask = { type: 'acme.orders' };
const items = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from) }, (_, index) => ({ id: from + index }));

/** Serves `total` orders `cap` at a time, whatever the client asks. */
function run(
  paginator: ReturnType<typeof offset<OrdersTask, Body, { id: number }>>,
  total: number,
  cap: number,
) {
  const offsets: number[] = [];
  const seen: number[] = [];
  let task: OrdersTask | undefined = seed;
  while (task !== undefined) {
    const at = Number(paginator.params(task).offset);
    offsets.push(at);
    const body: Body = { items: items(at, Math.min(total, at + cap)), count: total };
    seen.push(...body.items.map((item) => item.id));
    [task] = paginator.next(task, { records: body.items, body });
  }
  return { offsets, seen };
}

describe('offset', () => {
  it('moves on by the records a page really holds, so a capped page size skips nothing', () => {
    const paginator = offset<OrdersTask, Body, { id: number }>({
      stop: 'total-records',
      totalRecords: (body) => body.count,
    });
    const { offsets, seen } = run(paginator, 7, 3);
    expect(offsets).toEqual([0, 3, 6]);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("stops at the first short page under 'short-page'", () => {
    const paginator = offset<OrdersTask, Body, { id: number }>({ stop: 'short-page', pageSize: 3 });
    expect(run(paginator, 7, 3).offsets).toEqual([0, 3, 6]);
  });

  it("takes one request more than the data under 'empty-page' when the last page is full", () => {
    const paginator = offset<OrdersTask, Body, { id: number }>({ stop: 'empty-page' });
    expect(run(paginator, 6, 3).offsets).toEqual([0, 3, 6]);
  });

  it('fails with ended-early when a short page ends a chain that the total says is longer', () => {
    const paginator = offset<OrdersTask, Body, { id: number }>({
      stop: 'short-page',
      pageSize: 5,
      totalRecords: (body) => body.count,
    });
    // The server caps pages at 3: a short page is not the end, and the total says so.
    expect(() => run(paginator, 7, 3)).toThrow(PaginationError);
    expect(() => run(paginator, 7, 3)).toThrow(/ended-early/);
  });

  it('starts at the configured offset and names it in params', () => {
    const paginator = offset<OrdersTask, Body, { id: number }>({
      stop: 'empty-page',
      param: 'offset',
      start: 10,
    });
    expect(paginator.params(seed)).toEqual({ offset: 10 });
    expect(() => offset({ stop: 'empty-page', start: -1 })).toThrow(InvalidOptionError);
  });
});
