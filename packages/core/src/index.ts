export { callHandler, checkTaskResult, runHandler } from './call-handler.js';
export type { Checkpoint, RunChoice, RunInfo, RunState, WriteDisposition } from './checkpoint.js';
export type { CheckCompletenessOptions } from './completeness/check-completeness.js';
export { checkCompleteness } from './completeness/check-completeness.js';
export type { CompletenessReport, ScopeReport } from './completeness/completeness-ledger.js';
export { CompletenessLedger } from './completeness/completeness-ledger.js';
export type { Expectation } from './completeness/expectation.js';
export { parseExpectation } from './completeness/expectation.js';
export {
  IncompleteResultError,
  IncompleteRunError,
  isIncompleteResultError,
} from './completeness/incomplete-errors.js';
export type {
  Connector,
  ConnectorParam,
  ConnectorRuntime,
  EmulatorStartOptions,
  IncrementalSync,
  RunningEmulator,
} from './connector.js';
export type { CredentialResolver, CredentialResolverOptions, CredentialSource } from './credentials.js';
export { createCredentialResolver, MissingCredentialError } from './credentials.js';
export type { RedisSeenKeysOptions } from './dedupe/redis-seen-keys.js';
export { RedisSeenKeys } from './dedupe/redis-seen-keys.js';
export type { SeenKeysStore } from './dedupe/seen-keys-store.js';
export type { TaskLabel } from './errors.js';
export {
  AuthenticationError,
  CapitalError,
  describeTask,
  formatPause,
  HttpStatusError,
  InvalidOptionError,
  InvalidResponseError,
  InvalidTaskError,
  InvalidTaskResultError,
  isCapitalError,
  isRunDeferred,
  isTransientStatus,
  MaxDepthExceededError,
  NonErrorThrownError,
  NonRetryableError,
  RateLimiterUnavailableError,
  RunDeferredError,
  TaskCycleError,
  TaskFailedError,
  TransientError,
  toError,
} from './errors.js';
export type { AcquireSendPermitOptions } from './http/acquire-send-permit.js';
export { acquireSendPermit } from './http/acquire-send-permit.js';
export type { FetchDispatcher } from './http/permit-dispatcher.js';
export { permitDispatcher, warmConnections } from './http/permit-dispatcher.js';
export type { JsonBody, ReadJsonBodyOptions } from './http/read-json-body.js';
export { readJsonBody } from './http/read-json-body.js';
export type { RequestFailureOptions } from './http/request-failure.js';
export { describeFailure, requestFailure } from './http/request-failure.js';
export type { RequestSignal, RequestSignalOptions } from './http/request-signal.js';
export { requestSignal } from './http/request-signal.js';
export type { SendPermit, SendPermitOptions } from './http/send-permit.js';
export { createSendPermit, maxSendDelayFor } from './http/send-permit.js';
export type { JsonObject, JsonValue } from './json.js';
export { canonicalJson } from './json.js';
export type { AcquireOrDeferOptions } from './limit/acquire-or-defer.js';
export { acquireOrDefer } from './limit/acquire-or-defer.js';
export type { AdaptiveRateOptions } from './limit/adaptive-rate-options.js';
export { reportApiAnswer } from './limit/api-answers.js';
export type { LimiterKeys, LimiterKeysOptions } from './limit/limiter-key.js';
export { createLimiterKeys } from './limit/limiter-key.js';
export type { LimiterKey, LimiterLayer } from './limit/limiter-layers.js';
export { pauseKeyOf } from './limit/limiter-layers.js';
export type { MemoryLimiterOptions } from './limit/memory-limiter.js';
export { MemoryLimiter } from './limit/memory-limiter.js';
export type { Rate } from './limit/rate.js';
export { checkRate, formatRate, parseRate } from './limit/rate.js';
export type { ApiAnswer } from './limit/rate-learning.js';
export type { AnnouncedLimit } from './limit/rate-limit-headers.js';
export { parseRateLimitHeaders } from './limit/rate-limit-headers.js';
export type { RateLimiter, Reservation } from './limit/rate-limiter.js';
export { RedisLimiter } from './limit/redis-limiter.js';
export type {
  RedisLimiterFallback,
  RedisLimiterOptions,
  RedisLimiterStats,
} from './limit/redis-limiter-options.js';
export type { LayeredSlot, Slot } from './limit/token-bucket.js';
export { intervalOf, pauseSlot, releaseSlot, reserveLayers, reserveSlot } from './limit/token-bucket.js';
export type { LogFields, Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { Acknowledgeable } from './operators/ack-after.js';
export { ackAfter } from './operators/ack-after.js';
export { crawl } from './operators/crawl.js';
export type { CrawlDedupe, CrawlOptions, CrawlPage } from './operators/crawl-config.js';
export type { CrawlEvent } from './operators/crawl-event.js';
export { crawlFrom } from './operators/crawl-from.js';
export type { CrawlSeeds } from './operators/crawl-internals.js';
export type { RateLimitConfig } from './operators/rate-limit.js';
export { rateLimit } from './operators/rate-limit.js';
export type { RetryTransientConfig } from './operators/retry-transient.js';
export { retryTransient } from './operators/retry-transient.js';
export type { CursorOptions, CursorStopPolicy } from './paginate/cursor.js';
export { cursor } from './paginate/cursor.js';
export type { LinkHeaderOptions } from './paginate/link-header.js';
export { linkHeader } from './paginate/link-header.js';
export type { NextUrlOptions } from './paginate/next-url.js';
export { nextUrl } from './paginate/next-url.js';
export type { OffsetOptions } from './paginate/offset.js';
export { offset } from './paginate/offset.js';
export type { PageNumberOptions } from './paginate/page-number.js';
export { pageNumber } from './paginate/page-number.js';
export type { PaginationErrorCode } from './paginate/pagination-error.js';
export { isPaginationError, PaginationError } from './paginate/pagination-error.js';
export type {
  Expected,
  HeadersLike,
  NumberedStopPolicy,
  Page,
  PageAccessor,
  PageStep,
  PaginationState,
  Paginator,
  PaginatorBaseOptions,
  UrlOptions,
  UrlPaginator,
  UrlStopPolicy,
} from './paginate/paginator.js';
export type { LinkValue } from './paginate/parse-link-header.js';
export { parseLinkHeader } from './paginate/parse-link-header.js';
export { redactError } from './redact/redact-error.js';
export { redactedMark, redactText, secretSpellings } from './redact/redact-text.js';
export { redactingLogger } from './redact/redacting-logger.js';
export { handedOutSecrets, rememberSecret } from './redact/secret-registry.js';
export { CredentialRefusedError, restrictCredentials } from './restrict-credentials.js';
export {
  checkDeferAfter,
  defaultDeferAfterMs,
  deferralFor,
  deferralOf,
  maxDeferralMs,
} from './retry/defer-decision.js';
export { parseRequestedWait } from './retry/parse-requested-wait.js';
export { parseRetryAfter } from './retry/parse-retry-after.js';
export type { RetryOptions, RetryPolicy } from './retry/retry-policy.js';
export { isRetryable, resolveRetryPolicy, retryAfterOf, retryDelay } from './retry/retry-policy.js';
export type { RetryPromiseOptions } from './retry/retry-promise.js';
export { retryPromise } from './retry/retry-promise.js';
export type {
  Handler,
  HandlerContext,
  HandlerResult,
  LazyHandler,
  NextTasks,
  Task,
  TaskResult,
} from './task.js';
export { labelTask, taskKey } from './task.js';
export type {
  CapitalMetricDescription,
  CapitalMetricKind,
  CapitalMetricName,
} from './telemetry/metric-catalogue.js';
export { capitalMetrics } from './telemetry/metric-catalogue.js';
export type { CapitalMeasurement, MetricsListener } from './telemetry/record-metric.js';
export { observeMetrics, recordMetric } from './telemetry/record-metric.js';
export { recordRetry, retryCause } from './telemetry/retry-cause.js';
export { timeSinkWrite } from './telemetry/time-sink-write.js';
export type { HttpCallInfo, HttpCallReport } from './telemetry/trace-http-call.js';
export { traceHttpCall } from './telemetry/trace-http-call.js';
export { toAsyncIterable } from './to-async-iterable.js';
