import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TaskFailedError } from '../errors.js';
import { ackAfter } from '../operators/ack-after.js';
import { crawl } from '../operators/crawl.js';
import type { Handler, TaskResult } from '../task.js';
import { checkCompleteness } from './check-completeness.js';
import { CompletenessLedger } from './completeness-ledger.js';
import { IncompleteResultError } from './incomplete-errors.js';

type PageTask = { type: 'p'; page: number };
type Row = { id: string };

const rows = (from: number, count: number): Row[] =>
  Array.from({ length: count }, (_, index) => ({ id: `r${from + index}` }));

/** A source of 3 pages of 2 rows stating 6 records and 3 pages; `pages` overrides what a page holds. */
function source(
  pages: Partial<Record<number, Row[]>> = {},
  stated = { records: 6, pages: 3 },
): Handler<PageTask, Row> {
  return async (task) => ({
    task,
    data: pages[task.page] ?? rows((task.page - 1) * 2, 2),
    nextTasks: task.page < 3 ? [{ type: 'p', page: task.page + 1 }] : [],
    expect: { scope: 'search', ...stated },
  });
}

async function run(handler: Handler<PageTask, Row>, allowIncomplete = false, retries = 2) {
  const ledger = new CompletenessLedger();
  const checked = checkCompleteness(handler, {
    ledger,
    recordKey: (row: Row) => row.id,
    maxAttempts: retries + 1,
    allowIncomplete,
  });
  const pages = await lastValueFrom(
    from([{ type: 'p', page: 1 } as PageTask]).pipe(
      crawl(checked, {
        concurrency: 1,
        retry: { retries, minTimeoutMs: 0, maxTimeoutMs: 0, randomize: false },
      }),
      ackAfter(async (page) => page.data.map((row) => row.id)),
      toArray(),
    ),
  );
  return { ledger, records: pages.flat() };
}

describe('checkCompleteness', () => {
  it('passes a run that holds what its pages stated, and reports it complete', async () => {
    const { ledger, records } = await run(source());

    expect(records).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    expect(ledger.report()).toMatchObject({
      complete: true,
      faults: [],
      scopes: [{ scope: 'search', expectedRecords: 6, expectedPages: 3, storedRecords: 6, storedPages: 3 }],
    });
  });

  it('reports the records and pages missing when the pages lead to fewer than they stated', async () => {
    const { ledger } = await run(source({}, { records: 8, pages: 4 }));

    expect(ledger.report().complete).toBe(false);
    expect(ledger.report().faults).toEqual([
      'result search: 6 of 8 records stored (2 missing)',
      'result search: 3 of 4 pages stored (1 missing)',
    ]);
  });

  it('fails a page that repeats records of another page once its retries are spent', async () => {
    let attempts = 0;
    const handler: Handler<PageTask, Row> = async (task, context) => {
      if (task.page === 3) attempts = context.attempt;
      return source({ 3: rows(2, 2) })(task, context) as Promise<TaskResult<PageTask, Row>>;
    };

    const error = await run(handler).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as Error).message).toMatch(
      /page 3.*failed after 3 attempts.*2 of its 2 records were already stored/,
    );
    expect(attempts).toBe(3);
  });

  it('takes a retried page that came right the second time', async () => {
    const handler: Handler<PageTask, Row> = async (task, context) =>
      source(task.page === 3 && context.attempt === 1 ? { 3: rows(2, 2) } : {})(task, context) as Promise<
        TaskResult<PageTask, Row>
      >;

    const { ledger, records } = await run(handler);

    expect(records).toHaveLength(6);
    expect(ledger.report().complete).toBe(true);
  });

  it('with allowIncomplete keeps the page without its duplicates and reports them', async () => {
    const { ledger, records } = await run(source({ 3: rows(2, 2) }), true);

    expect(records).toEqual(['r0', 'r1', 'r2', 'r3']);
    const report = ledger.report();
    expect(report.complete).toBe(false);
    expect(report.faults).toEqual([
      expect.stringMatching(/page 3.*2 of its 2 records were already stored by another page/),
      'result search: 4 of 6 records stored (2 missing)',
    ]);
  });

  it('fails a page whose stated figures differ from those of an earlier page', async () => {
    const handler: Handler<PageTask, Row> = async (task, context) =>
      source({}, task.page === 2 ? { records: 7, pages: 3 } : { records: 6, pages: 3 })(
        task,
        context,
      ) as Promise<TaskResult<PageTask, Row>>;

    await expect(run(handler)).rejects.toThrow(/it says the result holds 7 records, an earlier page said 6/);
  });

  it("keeps a handler's own IncompleteResultError page with allowIncomplete, after the last retry", async () => {
    const handler: Handler<PageTask, Row> = async (task) => {
      const result = {
        task,
        data: rows(0, 2),
        nextTasks: [],
        expect: { scope: 'search', records: 6, pages: 3 },
      };
      throw new IncompleteResultError('totals do not add up', { result });
    };

    await expect(run(handler, false)).rejects.toThrow(/totals do not add up/);
    const { ledger, records } = await run(handler, true);
    expect(records).toEqual(['r0', 'r1']);
    expect(ledger.report().faults).toEqual([
      'totals do not add up',
      'result search: 2 of 6 records stored (4 missing)',
      'result search: 1 of 3 pages stored (2 missing)',
    ]);
  });

  it('fails at once, without a retry, a handler whose expect is not one', async () => {
    let calls = 0;
    const handler: Handler<PageTask, Row> = async (task) => {
      calls += 1;
      return { task, data: rows(0, 2), nextTasks: [], expect: { records: -1 } };
    };

    await expect(run(handler)).rejects.toThrow(/invalid TaskResult: `expect.records` is not a whole number/);
    expect(calls).toBe(1);
  });

  it('counts records whose key cannot be read as distinct, leaving them to the sink', async () => {
    const handler: Handler<PageTask, Row> = async (task) => ({
      task,
      // Neither has an id: two missing keys are not one key twice.
      data: [{} as Row, {} as Row],
      nextTasks: [],
    });

    const { records } = await run(handler);

    expect(records).toHaveLength(2);
  });

  it('reads the keys after a record whose key throws, and still finds their duplicates', async () => {
    const ledger = new CompletenessLedger();
    const data: Row[] = [{ id: 'a' }, { id: 'bad' }, { id: 'a' }, { id: 'b' }];
    const checked = checkCompleteness<PageTask, Row>(async (task) => ({ task, data, nextTasks: [] }), {
      ledger,
      recordKey: (row) => {
        if (row.id === 'bad') throw new Error('no key');
        return row.id;
      },
      maxAttempts: 1,
      allowIncomplete: true,
    });
    const logger = { debug() {}, info() {}, warn() {}, error() {} };

    const page = (await checked(
      { type: 'p', page: 1 },
      {
        signal: new AbortController().signal,
        logger,
        taskKey: 'k1',
        attempt: 1,
      },
    )) as TaskResult<PageTask, Row>;

    expect(page.data.map((row) => row.id)).toEqual(['a', 'bad', 'b']);
    expect(ledger.report().faults).toEqual([
      'Task k1 (p page 1): 1 of its 4 records were already stored by another page (duplicates)',
    ]);
  });

  it('reports figures as unchecked, not failed, when a checkpoint skipped pages', () => {
    const ledger = new CompletenessLedger();
    ledger.record('a', { scope: 's', records: 10, pages: 2 }, ['x']);
    ledger.skipped();

    expect(ledger.report()).toMatchObject({ complete: true, skippedPages: 1 });
  });
});
