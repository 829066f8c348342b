import {
  type Attributes,
  createNoopMeter,
  type Meter,
  type MeterProvider,
  metrics,
} from '@opentelemetry/api';
import { type CapitalMetricName, capitalMetrics } from './metric-catalogue.js';

/** One measurement, as {@link observeMetrics} hands it over. */
export type CapitalMeasurement = {
  readonly name: CapitalMetricName;
  /** An increment (counters), an observation (histograms) or the current level (gauges). */
  readonly value: number;
  readonly attributes: Readonly<Record<string, string | number>>;
};

/** Receives every measurement Capital records in this process. */
export type MetricsListener = (measurement: CapitalMeasurement) => void;

type Instrument = { record(value: number, attributes: Attributes): void };

const listeners = new Set<MetricsListener>();
// The metrics API has no proxy provider (unlike traces): a meter taken before the application
// registers its SDK stays a no-op forever. So instruments are re-created when the provider changes.
let instrumentsOf:
  | { provider: MeterProvider; meter: Meter; noop: boolean; byName: Map<CapitalMetricName, Instrument> }
  | undefined;

/**
 * Records one measurement through `@opentelemetry/api` (a no-op unless the application
 * registered a MeterProvider) and hands it to every {@link observeMetrics} listener.
 * @example recordMetric('capital.sink.write.duration', 12.5, { 'capital.sink': 'postgres' });
 */
export function recordMetric(
  name: CapitalMetricName,
  value: number,
  attributes: Readonly<Record<string, string | number>> = {},
): void {
  const state = meterOfProvider();
  if (state.noop && listeners.size === 0) return;
  instrument(state, name).record(value, attributes);
  for (const listener of listeners) {
    try {
      listener({ name, value, attributes });
    } catch {
      // A broken exporter must not break the crawl it observes.
    }
  }
}

/**
 * Calls `listener` with every measurement Capital records from now on, for a registry other
 * than OpenTelemetry's (the CLI's Prometheus endpoint uses it).
 * @returns a function that stops the calls.
 * @example const stop = observeMetrics((m) => console.log(m.name, m.value));
 */
export function observeMetrics(listener: MetricsListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Whether every measurement would be dropped: no MeterProvider registered (the API's no-op
 * meter) and no {@link observeMetrics} listener. Asked per call, as an application may register
 * either after Capital is loaded; then the work of measuring (clocks, attributes) can be skipped.
 */
export function metricsOff(): boolean {
  return listeners.size === 0 && meterOfProvider().noop;
}

/** The meter of the registered provider, taken again when the provider changes. */
function meterOfProvider(): NonNullable<typeof instrumentsOf> {
  const provider = metrics.getMeterProvider();
  if (instrumentsOf?.provider !== provider) {
    const meter = provider.getMeter('@capital/core');
    instrumentsOf = { provider, meter, noop: meter === createNoopMeter(), byName: new Map() };
  }
  return instrumentsOf;
}

function instrument(state: NonNullable<typeof instrumentsOf>, name: CapitalMetricName): Instrument {
  let found = state.byName.get(name);
  if (found === undefined) {
    found = create(state.meter, name);
    state.byName.set(name, found);
  }
  return found;
}

function create(meter: Meter, name: CapitalMetricName): Instrument {
  const { kind, unit, description } = capitalMetrics[name];
  const options = { unit, description };
  switch (kind) {
    case 'counter': {
      const counter = meter.createCounter(name, options);
      return { record: (value, attributes) => counter.add(value, attributes) };
    }
    case 'up-down-counter': {
      const counter = meter.createUpDownCounter(name, options);
      return { record: (value, attributes) => counter.add(value, attributes) };
    }
    case 'histogram':
      return meter.createHistogram(name, options);
    case 'gauge':
      return meter.createGauge(name, options);
  }
}
