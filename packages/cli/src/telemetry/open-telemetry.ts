/** A started OpenTelemetry SDK. */
export type RunningTelemetry = {
  /** Exports what is left (spans, a last metrics collection) and stops. */
  shutdown(): Promise<void>;
};

/**
 * Whether the standard `OTEL_*` variables ask for an export: an OTLP endpoint, or an exporter
 * named in `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` other than `none`, and
 * `OTEL_SDK_DISABLED` not `true`. Without them the SDK is not even loaded.
 */
export function telemetryWanted(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const endpoint = [
    env.OTEL_EXPORTER_OTLP_ENDPOINT,
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
  ].some((value) => Boolean(value?.trim()));
  const named = [env.OTEL_TRACES_EXPORTER, env.OTEL_METRICS_EXPORTER].some((value) =>
    exporters(value).some((name) => name !== 'none'),
  );
  return endpoint || named;
}

/**
 * Starts the OpenTelemetry Node SDK when {@link telemetryWanted}, so that the spans and
 * metrics `@capital/core` records through `@opentelemetry/api` leave the process. The SDK and
 * its exporters are imported only then: a run without `OTEL_*` variables loads none of them.
 *
 * With `OTEL_EXPORTER_OTLP_PROTOCOL=http/json` (or `OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL`)
 * the OTLP/HTTP JSON exporters are used; otherwise the SDK picks the exporters from the
 * environment itself (`http/protobuf` by default, `grpc`, `console`, `none` …).
 *
 * @returns the running SDK, or `undefined` when nothing was asked for.
 */
export async function startOpenTelemetry(env: NodeJS.ProcessEnv): Promise<RunningTelemetry | undefined> {
  if (!telemetryWanted(env)) return undefined;
  const { NodeSDK, metrics } = await import('@opentelemetry/sdk-node');
  const json = (signal: 'TRACES' | 'METRICS') =>
    (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim() === 'http/json';
  const traces = exporters(env.OTEL_TRACES_EXPORTER);
  const metricExporters = exporters(env.OTEL_METRICS_EXPORTER);
  const jsonTraces = json('TRACES') && (traces.length === 0 || traces.includes('otlp'));
  const jsonMetrics = json('METRICS') && (metricExporters.length === 0 || metricExporters.includes('otlp'));
  const traceExporter = jsonTraces
    ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter()
    : undefined;
  const metricReaders = jsonMetrics
    ? [
        new metrics.PeriodicExportingMetricReader({
          exporter: new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter(),
          exportIntervalMillis: interval(env.OTEL_METRIC_EXPORT_INTERVAL) ?? 60_000,
        }),
      ]
    : undefined;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || 'capital',
    // Capital's own spans and metrics only; no monkey-patching of modules.
    instrumentations: [],
    ...(traceExporter === undefined ? {} : { traceExporter }),
    ...(metricReaders === undefined ? {} : { metricReaders }),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

function exporters(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

function interval(value: string | undefined): number | undefined {
  const ms = Number(value);
  return value !== undefined && Number.isInteger(ms) && ms > 0 ? ms : undefined;
}
