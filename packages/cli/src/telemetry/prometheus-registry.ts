import {
  type CapitalMeasurement,
  type CapitalMetricName,
  capitalMetrics,
  observeMetrics,
} from '@capital/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Buckets of the millisecond histograms, in seconds (Prometheus' base unit). */
const secondsBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A prom-client registry that Capital's measurements feed. */
export type CapitalRegistry = {
  readonly registry: Registry;
  /** Stops feeding it. */
  stop(): void;
};

/**
 * The Prometheus name of a Capital metric: dots become underscores, counters end in `_total`,
 * millisecond histograms become `_seconds` ones (`capital.limiter.wait` → `capital_limiter_wait_seconds`).
 * @example prometheusName('capital.pages') === 'capital_pages_total'
 */
export function prometheusName(name: CapitalMetricName): string {
  const { kind, unit } = capitalMetrics[name];
  const base = name.replaceAll('.', '_');
  if (kind === 'counter') return `${base}_total`;
  if (unit === 'ms') return `${base.replace(/_duration$/, '')}_seconds`;
  return base;
}

const labelOf = (attribute: string): string => attribute.replaceAll('.', '_');

/**
 * Creates a prom-client registry with every Capital metric (and Node's process metrics), fed
 * by {@link observeMetrics} from the moment it is created.
 */
export function createCapitalRegistry(): CapitalRegistry {
  const registry = new Registry();
  type Sink = (measurement: CapitalMeasurement) => void;
  const sinks = new Map<CapitalMetricName, Sink>();
  for (const [name, description] of Object.entries(capitalMetrics) as [
    CapitalMetricName,
    (typeof capitalMetrics)[CapitalMetricName],
  ][]) {
    const config = {
      name: prometheusName(name),
      help: description.description,
      labelNames: description.attributes.map(labelOf),
      registers: [registry],
    };
    const labels = (measurement: CapitalMeasurement) =>
      Object.fromEntries(
        description.attributes
          .filter((attribute) => measurement.attributes[attribute] !== undefined)
          .map((attribute) => [labelOf(attribute), measurement.attributes[attribute] as string | number]),
      );
    switch (description.kind) {
      case 'counter': {
        const counter = new Counter(config);
        sinks.set(name, (m) => counter.inc(labels(m), m.value));
        break;
      }
      case 'up-down-counter': {
        const gauge = new Gauge(config);
        sinks.set(name, (m) => gauge.inc(labels(m), m.value));
        break;
      }
      case 'gauge': {
        const gauge = new Gauge(config);
        sinks.set(name, (m) => gauge.set(labels(m), m.value));
        break;
      }
      case 'histogram': {
        const histogram = new Histogram({ ...config, buckets: secondsBuckets });
        const scale = description.unit === 'ms' ? 1000 : 1;
        sinks.set(name, (m) => histogram.observe(labels(m), m.value / scale));
        break;
      }
    }
  }
  const stop = observeMetrics((measurement) => sinks.get(measurement.name)?.(measurement));
  return { registry, stop };
}
