import { type Attributes, type Meter, type MeterProvider, metrics } from '@opentelemetry/api';
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
let instrumentsOf: { provider: MeterProvider; byName: Map<CapitalMetricName, Instrument> } | undefined;

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
  instrument(name).record(value, attributes);
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

function instrument(name: CapitalMetricName): Instrument {
  const provider = metrics.getMeterProvider();
  if (instrumentsOf?.provider !== provider) instrumentsOf = { provider, byName: new Map() };
  let found = instrumentsOf.byName.get(name);
  if (found === undefined) {
    found = create(provider.getMeter('@capital/core'), name);
    instrumentsOf.byName.set(name, found);
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
