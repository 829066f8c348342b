import type { Command } from 'commander';
import { CliUsageError } from '../cli-error.js';
import { parseWholeNumber } from '../parse-values.js';
import type { MetricsEndpoint } from './metrics-endpoint.js';

/** The flags that serve `/metrics`. */
export type MetricsFlags = {
  readonly metricsPort?: string;
  readonly metricsHost?: string;
};

/** Adds `--metrics-port` and `--metrics-host` to a command. */
export function addMetricsOptions(command: Command): Command {
  return command
    .option('--metrics-port <n>', 'serve Prometheus metrics at http://HOST:N/metrics (0: any free port)')
    .option('--metrics-host <address>', 'the address of --metrics-port', '127.0.0.1');
}

/**
 * Starts the `/metrics` endpoint when `--metrics-port` is given, and says where on stderr.
 * prom-client is loaded only then.
 * @throws {CliUsageError} for a port out of range or an address that cannot be bound.
 */
export async function startMetricsFromFlags(
  flags: MetricsFlags,
  stderr: NodeJS.WritableStream,
): Promise<MetricsEndpoint | undefined> {
  if (flags.metricsPort === undefined) return undefined;
  const port = parseWholeNumber('--metrics-port', flags.metricsPort, 0, 65_535);
  const { startMetricsEndpoint } = await import('./metrics-endpoint.js');
  let endpoint: MetricsEndpoint;
  try {
    endpoint = await startMetricsEndpoint({ port, host: flags.metricsHost });
  } catch (error) {
    throw new CliUsageError(
      `Cannot serve metrics on ${flags.metricsHost ?? '127.0.0.1'}:${port}: ${(error as Error).message}`,
    );
  }
  stderr.write(`capital: metrics at ${endpoint.url}\n`);
  return endpoint;
}
