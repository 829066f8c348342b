import { InvalidTaskError, taskKey } from '@capital/core';
import { describe, expect, it } from 'vitest';
import { crawlJob, parseCrawlJobData } from './crawl-job.js';
import { crawlJobOptions } from './crawl-job-options.js';
import { InvalidCrawlJobError } from './worker-errors.js';

const task = {
  type: 'wtd.stock_search',
  search_term: 'inc',
  limit: 50,
  page: 2,
  credentials: 'env:WTD_API_TOKEN',
};

describe('crawlJob', () => {
  it('names the job after the connector and gives it the task key as its id', () => {
    const job = crawlJob('wtd', task, 1, {});
    expect(job.name).toBe('wtd');
    expect(job.opts.jobId).toBe(taskKey(task));
  });

  it('gives equal tasks, whatever their key order, one job id', () => {
    const reordered = {
      page: 2,
      credentials: 'env:WTD_API_TOKEN',
      limit: 50,
      search_term: 'inc',
      type: 'wtd.stock_search',
    };
    expect(crawlJob('wtd', reordered, 3, {}).opts.jobId).toBe(crawlJob('wtd', task, 1, {}).opts.jobId);
  });

  it('carries the connector, the task, the depth and the base URL, and no secret', () => {
    const job = crawlJob('wtd', task, 4, { baseUrl: 'http://127.0.0.1:8080' });
    expect(job.data).toEqual({ connector: 'wtd', task, depth: 4, baseUrl: 'http://127.0.0.1:8080' });
    expect(JSON.stringify(job)).toContain('env:WTD_API_TOKEN');
  });

  it('carries the run and puts it in the job id, so a new run of the same task is a new job', () => {
    const job = crawlJob('wtd', task, 0, { runId: '0a1b2c3d' });
    expect(job.data.runId).toBe('0a1b2c3d');
    expect(job.opts.jobId).toBe(`0a1b2c3d-${taskKey(task)}`);
    expect(job.opts.jobId).not.toBe(crawlJob('wtd', task, 0, { runId: 'ffffffff' }).opts.jobId);
    expect(parseCrawlJobData(job.data)).toEqual(job.data);
  });

  it('refuses a run id that newRunId could not have made', () => {
    for (const runId of ['0A1B2C3D', '0a1b2c3', '0a1b2c3d0', 'run:1234', 12345678, null]) {
      expect(() => parseCrawlJobData({ connector: 'wtd', task, depth: 0, runId }, 'j1')).toThrow(
        InvalidCrawlJobError,
      );
    }
  });

  it('leaves the base URL out when the enqueuer chose none', () => {
    expect(crawlJob('wtd', task, 0, {}).data).not.toHaveProperty('baseUrl');
  });

  it('keeps the job options beside the id', () => {
    const job = crawlJob('wtd', task, 0, { jobOptions: crawlJobOptions({ attempts: 3 }) });
    expect(job.opts).toMatchObject({ attempts: 3, backoff: { type: 'capital' }, jobId: taskKey(task) });
  });

  it('refuses a task that is not a plain object', () => {
    expect(() => crawlJob('wtd', [] as never, 0, {})).toThrow(InvalidTaskError);
  });
});

describe('parseCrawlJobData', () => {
  it('reads back what crawlJob wrote, through JSON', () => {
    const { data } = crawlJob('wtd', task, 2, { baseUrl: 'http://x' });
    expect(parseCrawlJobData(JSON.parse(JSON.stringify(data)), 'id')).toEqual(data);
  });

  it('takes a job deep in a cursor chain of tens of millions of pages', () => {
    const { data } = crawlJob('wtd', task, 20_000_000, {});
    expect(parseCrawlJobData(JSON.parse(JSON.stringify(data)), 'id')).toEqual(data);
  });

  it.each([
    ['a string', 'oops', 'its data is not an object'],
    ['no connector', { task, depth: 0 }, '`connector` is not a name'],
    ['an empty connector', { connector: '', task, depth: 0 }, '`connector` is not a name'],
    ['a task that is an array', { connector: 'wtd', task: [], depth: 0 }, '`task` is not an object'],
    ['a negative depth', { connector: 'wtd', task, depth: -1 }, '`depth` is not a whole number'],
    ['a fractional depth', { connector: 'wtd', task, depth: 0.5 }, '`depth` is not a whole number'],
    ['an unsafe depth', { connector: 'wtd', task, depth: 2 ** 60 }, '`depth` is not a whole number'],
    [
      'a base URL that is a number',
      { connector: 'wtd', task, depth: 0, baseUrl: 8080 },
      '`baseUrl` is not a string',
    ],
    [
      'a base URL with credentials in it',
      { connector: 'wtd', task, depth: 0, baseUrl: 'http://user:pw@127.0.0.1:9' },
      '`baseUrl` is not an http(s) URL without credentials',
    ],
    [
      'a base URL that is not http(s)',
      { connector: 'wtd', task, depth: 0, baseUrl: 'file:///etc/passwd' },
      '`baseUrl` is not an http(s) URL without credentials',
    ],
    [
      'a field no crawl job has',
      { connector: 'wtd', task, depth: 0, headers: {} },
      'it has a field no crawl job has ("headers")',
    ],
    ['a connector name that is a path', { connector: '../x', task, depth: 0 }, '`connector` is not a name'],
    [
      'a task larger than 16 KiB',
      { connector: 'wtd', task: { ...task, search_term: 'x'.repeat(17_000) }, depth: 0 },
      '`task` is larger than 16384 bytes',
    ],
    ['a depth beyond any maximum', { connector: 'wtd', task, depth: 1e12 }, '`depth` is not a whole number'],
  ])('rejects %s with an InvalidCrawlJobError naming the job', (_what, data, problem) => {
    expect(() => parseCrawlJobData(data, 'job-7')).toThrow(InvalidCrawlJobError);
    expect(() => parseCrawlJobData(data, 'job-7')).toThrow(`Job job-7 is not a crawl job: ${problem}`);
  });
});
