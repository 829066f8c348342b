// The Kafka broker a benchmark writes to: KAFKA_BROKERS when set, else the one of
// scripts/kafka, started here if it is not running (and then stopped by `stop()`).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/kafka/kafka.mjs', import.meta.url));

function kafkaScript(command) {
  return spawnSync(process.execPath, [script, command], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Resolves the broker address; `stop()` stops the broker only if this call started it. */
export function ensureKafkaBroker() {
  if (process.env.KAFKA_BROKERS) return { brokers: process.env.KAFKA_BROKERS, stop: () => {} };
  const status = kafkaScript('status');
  const running = status.status === 0;
  const result = running ? status : kafkaScript('start');
  if (result.status !== 0) throw new Error(`scripts/kafka/kafka.mjs start failed (exit ${result.status}).`);
  // Both commands print the address as the last line of stdout.
  const brokers = result.stdout.trim().split('\n').at(-1);
  return { brokers, stop: running ? () => {} : () => kafkaScript('stop') };
}
