import type { Connector, EmulatorStartOptions } from '@capital/core';
import { CliUsageError } from './cli-error.js';
import { parseRateFlag, parseShare, parseWholeNumber } from './parse-values.js';

/** The flags of `capital emulator`, as commander hands them over. */
export type EmulatorFlags = {
  readonly port: string;
  readonly rateLimit: string;
  readonly latency: string;
  readonly faultRate: string;
  readonly malformedRate: string;
  readonly burst429Rate: string;
  readonly token?: string[];
};

/** Reads the emulator flags into the options every emulator understands. */
export function emulatorOptions(flags: EmulatorFlags): EmulatorStartOptions {
  const rate = parseRateFlag('--rate-limit', flags.rateLimit);
  return {
    port: parseWholeNumber('--port', flags.port, 0, 65_535),
    rateLimit: rate ? `${rate.limit}/${rate.periodMs}ms` : false,
    latencyMs: parseWholeNumber('--latency', flags.latency, 0, 600_000),
    faultRate: parseShare('--fault-rate', flags.faultRate),
    malformedRate: parseShare('--malformed-rate', flags.malformedRate),
    burst429Rate: parseShare('--burst-429-rate', flags.burst429Rate),
    ...(flags.token && flags.token.length > 0 ? { tokens: flags.token } : {}),
  };
}

/**
 * `capital emulator NAME`: serves the connector's emulator until SIGINT or SIGTERM. Prints the
 * base URL on stdout (alone on its line, for scripts) and what it serves on stderr.
 */
export async function emulatorCommand(
  connector: Connector,
  flags: EmulatorFlags,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
  signal: AbortSignal,
): Promise<void> {
  if (!connector.startEmulator) throw new CliUsageError(`The ${connector.name} connector ships no emulator.`);
  const options = emulatorOptions(flags);
  const emulator = await connector.startEmulator(options);
  const tokens = options.tokens
    ? `${options.tokens.length} token(s) given with --token`
    : 'the demo token "demo"';
  io.stderr.write(
    `capital: ${connector.name} emulator listening; it accepts ${tokens}, rate limit ${flags.rateLimit}. Ctrl-C stops it.\n`,
  );
  io.stdout.write(`${emulator.url}\n`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await emulator.close();
}
