export type { AttemptContext } from './attempt-error.js';
export { attemptError, unrecoverable } from './attempt-error.js';
export type { BaseUrlPolicy } from './choose-base-url.js';
export { chooseBaseUrl } from './choose-base-url.js';
export type { ConnectorCacheOptions } from './connector-cache.js';
export { ConnectorCache } from './connector-cache.js';
export type { CrawlBackoffOptions } from './crawl-backoff.js';
export { crawlBackoff } from './crawl-backoff.js';
export { readCrawlCompleteness } from './crawl-completeness.js';
export type { DashboardQueue, DashboardState, DashboardWorker } from './crawl-dashboard.js';
export { CrawlDashboardReader } from './crawl-dashboard.js';
export type { CrawlJob, CrawlJobData } from './crawl-job.js';
export { crawlJob, parseCrawlJobData } from './crawl-job.js';
export type { CrawlJobOptions } from './crawl-job-options.js';
export { crawlBackoffType, crawlJobOptions, inheritedJobOptions } from './crawl-job-options.js';
export type {
  CrawlCounts,
  CrawlReport,
  CrawlState,
  CrawlStatus,
  CrawlStatusOptions,
  ReadCrawlStatusOptions,
} from './crawl-status.js';
export {
  crawlStateOf,
  crawlStatus,
  isCrawlComplete,
  readCrawlCounts,
  readCrawlStatus,
} from './crawl-status.js';
export type { EnqueueSeedsOptions, EnqueueSeedsResult } from './enqueue-seeds.js';
export { enqueueSeeds } from './enqueue-seeds.js';
export type { FailedCrawlJob, ListFailedJobsOptions } from './failed-jobs.js';
export { listFailedJobs, readFailedJobs, retryFailedJobs } from './failed-jobs.js';
export { gateWrites } from './gate-writes.js';
export type { OpenQueueOptions, QueueConnection, QueueConnectionOptions } from './queue-connection.js';
export {
  defaultQueueName,
  defaultQueuePrefix,
  openQueue,
  redactRedisUrl,
  resolveQueueConnection,
  withQueue,
} from './queue-connection.js';
export type {
  ConnectorEntry,
  CrawlJobOutcome,
  CrawlJobRun,
  RunCrawlJobContext,
} from './run-crawl-job.js';
export { runCrawlJob } from './run-crawl-job.js';
export { isLockLapsing } from './stalled-jobs.js';
export type { CrawlWorker, CrawlWorkerStats } from './start-worker.js';
export { startWorker } from './start-worker.js';
export type { StartWorkerConfig, StartWorkerOptions } from './start-worker-options.js';
export { resolveStartWorkerOptions } from './start-worker-options.js';
export type { CrawlOutcome, WaitForCrawlOptions } from './wait-for-crawl.js';
export { waitForCrawl } from './wait-for-crawl.js';
export {
  BaseUrlRefusedError,
  ConnectorUnavailableError,
  CrawlFailedError,
  InvalidCrawlJobError,
  QueueNotFoundError,
  QueueUnavailableError,
} from './worker-errors.js';
export type { HeartbeatOptions, WorkerCounters, WorkerHeartbeat } from './worker-heartbeat.js';
export { readHeartbeats, startHeartbeat } from './worker-heartbeat.js';
