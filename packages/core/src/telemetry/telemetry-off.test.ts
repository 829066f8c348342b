import {
  type Counter,
  createNoopMeter,
  type Gauge,
  type Histogram,
  INVALID_SPAN_CONTEXT,
  type Meter,
  type MeterProvider,
  metrics,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { callHandler } from '../call-handler.js';
import { silentLogger } from '../logger.js';
import { type CapitalMeasurement, metricsOff, observeMetrics, recordMetric } from './record-metric.js';
import { telemetryOff } from './telemetry-off.js';
import { timeSinkWrite } from './time-sink-write.js';

afterEach(() => {
  metrics.disable();
  trace.disable();
});

/** A MeterProvider whose counters and histograms write what they record into `recorded`. */
function recordingMeterProvider(recorded: [string, number][]): MeterProvider {
  const instrument = (name: string) =>
    ({
      add: (value: number) => recorded.push([name, value]),
      record: (value: number) => recorded.push([name, value]),
    }) as Counter & Histogram & Gauge;
  const meter = {
    ...createNoopMeter(),
    createCounter: instrument,
    createUpDownCounter: instrument,
    createHistogram: instrument,
    createGauge: instrument,
  } as Meter;
  return { getMeter: () => meter };
}

const tracerProvider: TracerProvider = {
  getTracer: () => ({
    startSpan: () => trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
    startActiveSpan: () => {
      throw new Error('not used by Capital');
    },
  }),
};

const task = { type: 'acme.orders', page: 1 };
const label = { taskKey: 'k1', type: 'acme.orders', page: 1 };
const context = { signal: new AbortController().signal, logger: silentLogger, taskKey: 'k1', attempt: 1 };
const attempt = () =>
  new Promise<void>((resolve, reject) =>
    callHandler(async () => ({ task, data: [1, 2], nextTasks: [] }), task, context, label).subscribe({
      error: reject,
      complete: resolve,
    }),
  );

describe('telemetryOff', () => {
  it('is on while a metrics listener, a MeterProvider or a TracerProvider is registered', () => {
    expect(telemetryOff()).toBe(true);
    const stop = observeMetrics(() => {});
    expect([metricsOff(), telemetryOff()]).toEqual([false, false]);
    stop();
    expect(telemetryOff()).toBe(true);
    metrics.setGlobalMeterProvider(recordingMeterProvider([]));
    expect([metricsOff(), telemetryOff()]).toEqual([false, false]);
    metrics.disable();
    expect(telemetryOff()).toBe(true);
    trace.setGlobalTracerProvider(tracerProvider);
    expect([metricsOff(), telemetryOff()]).toEqual([true, false]);
  });

  it('lets a MeterProvider registered after measurements were skipped record the next ones', () => {
    recordMetric('capital.pages', 1);
    const recorded: [string, number][] = [];
    metrics.setGlobalMeterProvider(recordingMeterProvider(recorded));
    recordMetric('capital.pages', 2);
    expect(recorded).toEqual([['capital.pages', 2]]);
  });

  it("leaves an attempt's metrics out only while nothing would record them", async () => {
    await attempt();
    const seen: CapitalMeasurement[] = [];
    const stop = observeMetrics((measurement) => seen.push(measurement));
    try {
      await attempt();
    } finally {
      stop();
    }
    expect(seen.map(({ name, value }) => [name, value])).toEqual([
      ['capital.pages.in_flight', 1],
      ['capital.pages', 1],
      ['capital.records', 2],
      ['capital.pages.in_flight', -1],
    ]);
  });
});

describe('timeSinkWrite', () => {
  it('passes the write through untimed while metrics are off, its failures as rejections', async () => {
    await expect(timeSinkWrite('FileSink', async () => 'stored')).resolves.toBe('stored');
    const failing = timeSinkWrite('FileSink', () => {
      throw new Error('disk full');
    });
    await expect(failing).rejects.toThrow('disk full');
  });

  it('times each write, failed ones included, once a listener is there', async () => {
    const seen: CapitalMeasurement[] = [];
    const stop = observeMetrics((measurement) => seen.push(measurement));
    try {
      await timeSinkWrite('FileSink', async () => 'stored');
      await expect(timeSinkWrite('FileSink', () => Promise.reject(new Error('disk full')))).rejects.toThrow();
    } finally {
      stop();
    }
    expect(seen.map(({ name, attributes }) => [name, attributes])).toEqual([
      ['capital.sink.write.duration', { 'capital.sink': 'FileSink' }],
      ['capital.sink.write.duration', { 'capital.sink': 'FileSink' }],
    ]);
  });
});
