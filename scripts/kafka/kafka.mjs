#!/usr/bin/env node
// A real single-node Kafka broker (KRaft, jars from Maven Central) for the tests.
//
//   node scripts/kafka/kafka.mjs start            prints the bootstrap address (last stdout line)
//   node scripts/kafka/kafka.mjs stop             stops it and wipes its data
//   node scripts/kafka/kafka.mjs status           prints the address, exit 1 if not running
//   node scripts/kafka/kafka.mjs with -- cmd ...  runs cmd with KAFKA_BROKERS set
//
// Progress goes to stderr so stdout stays machine-readable. See README.md.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { runningAddress, start, stop } from './broker.mjs';

const [cmd, ...rest] = process.argv.slice(2);

async function main() {
  switch (cmd) {
    case 'start': {
      const { address } = await start();
      process.stdout.write(`${address}\n`);
      return 0;
    }
    case 'stop':
      if (!(await stop())) process.stderr.write('[kafka] no broker was running\n');
      return 0;
    case 'status': {
      const address = await runningAddress();
      if (!address) {
        process.stderr.write('[kafka] not running\n');
        return 1;
      }
      process.stdout.write(`${address}\n`);
      return 0;
    }
    case 'with':
      return withBroker(rest[0] === '--' ? rest.slice(1) : rest);
    default:
      process.stderr.write('usage: kafka.mjs start | stop | status | with -- <command...>\n');
      return 2;
  }
}

/** Runs `argv` with KAFKA_BROKERS set, starting (and afterwards stopping) a broker if needed. */
async function withBroker(argv) {
  if (argv.length === 0) throw new Error('with: no command given (kafka.mjs with -- <command...>)');
  // One string with spaces ("pnpm vitest run") is taken as a shell command line.
  const shell = argv.length === 1 && /\s/.test(argv[0]);
  const run = (env) =>
    new Promise((resolve) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env, shell });
      const forward = (sig) => child.kill(sig);
      process.on('SIGINT', forward).on('SIGTERM', forward);
      child.on('error', (err) => {
        process.stderr.write(`[kafka] cannot run ${argv[0]}: ${err.message}\n`);
        resolve(127);
      });
      child.on('exit', (code, signal) => {
        process.off('SIGINT', forward).off('SIGTERM', forward);
        resolve(code ?? 128 + (constants.signals[signal] ?? 1));
      });
    });

  if (process.env.KAFKA_BROKERS) return run(process.env);

  // A broker someone started before us is reused and left running; one we start, we stop.
  let started = false;
  let interrupted = null;
  const onSignal = (sig) => {
    interrupted = sig;
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    const result = await start();
    started = result.started;
    if (interrupted) return 128 + constants.signals[interrupted];
    process.stderr.write(`[kafka] KAFKA_BROKERS=${result.address}\n`);
    return await run({ ...process.env, KAFKA_BROKERS: result.address });
  } finally {
    if (started) await stop();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`[kafka] ${err.message}\n`);
    // A broker that `with` started must not outlive a failure.
    process.exit(1);
  },
);
