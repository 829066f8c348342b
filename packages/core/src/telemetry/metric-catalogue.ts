/**
 * Every metric Capital records, in one place, so that the OpenTelemetry instruments, a
 * Prometheus registry and the documentation all name them the same way.
 */

/** The names of Capital's metrics (OpenTelemetry style; Prometheus names derive from them). */
export type CapitalMetricName =
  | 'capital.pages'
  | 'capital.records'
  | 'capital.http.bytes'
  | 'capital.retries'
  | 'capital.http.throttled'
  | 'capital.limiter.wait'
  | 'capital.pages.in_flight'
  | 'capital.sink.write.duration'
  | 'capital.queue.jobs';

/** How a metric adds up: a monotonic sum, a sum that goes up and down, a distribution, a level. */
export type CapitalMetricKind = 'counter' | 'up-down-counter' | 'histogram' | 'gauge';

/** What a metric is. */
export type CapitalMetricDescription = {
  readonly kind: CapitalMetricKind;
  /** UCUM unit, as OpenTelemetry wants it (`{page}`, `ms`, `By`). */
  readonly unit: string;
  readonly description: string;
  /** The attributes it carries (OpenTelemetry names; Prometheus labels replace dots with `_`). */
  readonly attributes: readonly string[];
};

/** Every metric Capital records, with its kind, unit, description and attributes. */
export const capitalMetrics: Readonly<Record<CapitalMetricName, CapitalMetricDescription>> = {
  'capital.pages': {
    kind: 'counter',
    unit: '{page}',
    description: 'Pages fetched (handler calls that returned a page).',
    attributes: ['capital.task.type'],
  },
  'capital.records': {
    kind: 'counter',
    unit: '{record}',
    description: 'Records in the pages fetched.',
    attributes: ['capital.task.type'],
  },
  'capital.http.bytes': {
    kind: 'counter',
    unit: 'By',
    description: 'Response body bytes received by handlers that report their HTTP calls.',
    attributes: ['server.address'],
  },
  'capital.retries': {
    kind: 'counter',
    unit: '{retry}',
    description: 'Failed attempts that will be retried, by cause.',
    attributes: ['capital.retry.cause'],
  },
  'capital.http.throttled': {
    kind: 'counter',
    unit: '{response}',
    description: 'Attempts the API answered with HTTP 429 (Too Many Requests).',
    attributes: ['capital.task.type'],
  },
  'capital.limiter.wait': {
    kind: 'histogram',
    unit: 'ms',
    description: 'How long an attempt waited for a permit of the rate limiter.',
    attributes: [],
  },
  'capital.pages.in_flight': {
    kind: 'up-down-counter',
    unit: '{page}',
    description: 'Handler calls in progress.',
    attributes: [],
  },
  'capital.sink.write.duration': {
    kind: 'histogram',
    unit: 'ms',
    description: 'How long a sink took to store a page durably.',
    attributes: ['capital.sink'],
  },
  'capital.queue.jobs': {
    kind: 'gauge',
    unit: '{job}',
    description: "Jobs on a worker queue, by state (sampled by each worker's heartbeat).",
    attributes: ['capital.queue', 'capital.queue.state'],
  },
};
