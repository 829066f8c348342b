import { describe, expect, it } from 'vitest';
import { startOpenTelemetry, telemetryWanted } from './open-telemetry.js';

describe('telemetryWanted', () => {
  it('is off without OTEL_* variables, so the SDK is not loaded', async () => {
    expect(telemetryWanted({})).toBe(false);
    expect(await startOpenTelemetry({})).toBeUndefined();
  });

  it('is on for an OTLP endpoint or an exporter other than none', () => {
    expect(telemetryWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(telemetryWanted({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(telemetryWanted({ OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('is off when OTEL_SDK_DISABLED is true, whatever else is set', () => {
    expect(telemetryWanted({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toBe(
      false,
    );
  });
});
