import { CompletenessLedger, type CompletenessReport, parseExpectation } from '@capital/core';
import type { Queue } from 'bullmq';

/** Completed jobs read per round trip. */
const batch = 500;

/**
 * Checks a finished crawl against what its pages said the whole result must hold: each completed
 * job's return value keeps its page's `expect` and its record count (see `runCrawlJob`), so the
 * pages and records of each scope are summed and compared with the figures stated, and pages
 * that stated other figures than the rest of their scope are faults.
 *
 * Weaker than a single-process run: jobs keep counts, not record keys, so a page repeating
 * another's records is not seen here (the PostgreSQL and Kafka sinks keep one row per record key;
 * the shortfall then shows only if another page went missing). Completed jobs evicted from Redis
 * (`keepCompletedSeconds`) are not counted. With `runId`, only the jobs of that run count (their
 * ids begin with it): a queue may hold the completed jobs of earlier runs.
 *
 * @example const report = await readCrawlCompleteness(queue); if (!report.complete) console.error(report.faults);
 */
export async function readCrawlCompleteness(queue: Queue, runId?: string): Promise<CompletenessReport> {
  const ledger = new CompletenessLedger();
  for (let start = 0; ; start += batch) {
    const jobs = await queue.getCompleted(start, start + batch - 1);
    for (const job of jobs) {
      if (runId !== undefined && !String(job.id).startsWith(`${runId}-`)) continue;
      // Read back from Redis, where anyone could have written it: checked, never trusted.
      const outcome = (typeof job.returnvalue === 'object' ? job.returnvalue : null) as {
        records?: unknown;
        expect?: unknown;
      } | null;
      if (outcome?.expect === undefined) continue;
      const expect = parseExpectation(outcome.expect);
      const records = outcome.records;
      if (
        typeof expect === 'string' ||
        typeof records !== 'number' ||
        !Number.isInteger(records) ||
        records < 0
      ) {
        ledger.tolerate(`job ${String(job.id).slice(0, 12)} recorded an unreadable outcome`);
        continue;
      }
      const id = String(job.id);
      const keys = Array.from({ length: records }, (_, index) => `${id}#${index}`);
      for (const problem of ledger.check(id, expect, keys)) {
        ledger.tolerate(`job ${id.slice(0, 12)}: ${problem}`);
      }
      ledger.record(id, expect, keys);
    }
    if (jobs.length < batch) break;
  }
  return ledger.report();
}
