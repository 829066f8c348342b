// Fetching the jars, and starting / finding / stopping the broker process.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  configuredPort,
  DEFAULT_CONTROLLER_PORT,
  DEFAULT_PORT,
  HEAP_OPTS,
  HOST,
  kafkaVersion,
  newClusterId,
  paths,
  START_TIMEOUT_MS,
  STOP_TIMEOUT_MS,
  writeConfig,
} from './config.mjs';
import { isReady, pickPort } from './probe.mjs';

const log = (msg) => process.stderr.write(`[kafka] ${msg}\n`);
const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
// Java expands a trailing `*` in -cp itself, so no shell is needed.
const classpath = () => join(paths.libs, '*');

/** Copies the broker jars into the cache with Maven, unless this version is already there. */
export function fetchJars() {
  const version = kafkaVersion();
  if (existsSync(join(paths.libs, `kafka_2.13-${version}.jar`))) return;
  log(`fetching Kafka ${version} jars from Maven Central into ${paths.libs} ...`);
  const t0 = Date.now();
  // Into a temp folder first, so an interrupted fetch never looks like a complete cache.
  const tmp = `${paths.libs}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  // -q -B: quiet, non-interactive; Maven's own ~/.m2 settings and repository are used as usual.
  const args = ['-q', '-B', '-f', paths.pom, 'dependency:copy-dependencies', `-Dkafka.libs=${tmp}`];
  // Output kept for errors only: even with -q, Maven 3.8 prints stray colour codes.
  const r = spawnSync('mvn', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.error?.code === 'ENOENT')
    throw new Error('`mvn` not found on PATH: Maven 3 is needed to fetch the Kafka jars');
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`mvn ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  rmSync(paths.libs, { recursive: true, force: true });
  renameSync(tmp, paths.libs);
  log(`fetched ${readdirSync(paths.libs).length} jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Is `pid` alive and the broker this script started (not some process that got its pid later)? */
function isOurBroker(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('kafka.Kafka') && cmd.includes(paths.config);
  } catch {
    return process.platform !== 'linux'; // no /proc: trust the pid file
  }
}

/** Pids of our brokers: the pid file's, plus any left running without one (Linux only). */
export function brokerPids() {
  const pids = new Set();
  try {
    const pid = Number(readFileSync(paths.pid, 'utf8'));
    if (pid > 0 && isOurBroker(pid)) pids.add(pid);
  } catch {}
  if (process.platform === 'linux') {
    for (const entry of readdirSync('/proc')) {
      if (/^\d+$/.test(entry) && Number(entry) !== process.pid && isOurBroker(Number(entry)))
        pids.add(Number(entry));
    }
  }
  return [...pids];
}

export function tail(lines = 40) {
  try {
    return readFileSync(paths.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') || '(log is empty)';
  } catch {
    return '(no log)';
  }
}

/** The address of our running broker if it answers, else undefined. */
export async function runningAddress(timeoutMs = 3000) {
  if (brokerPids().length === 0) return undefined;
  const port = configuredPort();
  return port && (await isReady(HOST, port, timeoutMs)) ? `${HOST}:${port}` : undefined;
}

/** Polls the broker until it lists itself in Metadata; fails early if `child` dies. */
async function waitReady(port, child, clusterId) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = null;
  child?.once('exit', (code, signal) => {
    exited = signal ?? `exit code ${code}`;
  });
  while (Date.now() < deadline) {
    if (exited)
      throw new Error(`broker died during startup (${exited}). Last lines of ${paths.log}:\n${tail()}`);
    if (!child && brokerPids().length === 0)
      throw new Error(`broker exited while starting. Last lines of ${paths.log}:\n${tail()}`);
    if (await isReady(HOST, port, 2000, clusterId)) return;
    await sleep(250);
  }
  throw new Error(
    `broker did not answer on ${HOST}:${port} within ${START_TIMEOUT_MS / 1000} s. Last lines of ${paths.log}:\n${tail()}`,
  );
}

/** One `start` at a time: a second one waits, then finds the broker running. */
async function withLock(fn) {
  mkdirSync(join(paths.lock, '..'), { recursive: true });
  const deadline = Date.now() + START_TIMEOUT_MS + 60_000;
  for (;;) {
    try {
      const fd = openSync(paths.lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(paths.lock, 'utf8')) || 0;
      let alive = owner > 0;
      try {
        if (alive) process.kill(owner, 0);
      } catch {
        alive = false;
      }
      if (!alive && owner > 0) rmSync(paths.lock, { force: true }); // left by a killed start
      if (Date.now() > deadline) throw new Error(`another start holds ${paths.lock}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(paths.lock, { force: true });
  }
}

/** Starts the broker unless ours already answers. Returns { address, started }. */
export function start() {
  return withLock(async () => {
    if (brokerPids().length > 0) {
      const port = configuredPort();
      if (port) {
        // Running (perhaps still starting up): wait for it rather than start a second one.
        await waitReady(port);
        return { address: `${HOST}:${port}`, started: false };
      }
      await stop(); // running without a config we can read: start over
    }
    fetchJars();
    // A port can be taken between our free-port check and the JVM binding it: retry with others.
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch();
      } catch (err) {
        if (attempt >= 4 || !/Address already in use/.test(err.message)) throw err;
        log('a port was taken while the broker started: retrying with other ports');
      }
    }
  });
}

/** Fresh data dir, config, storage format, then the JVM; resolves once the broker is usable. */
async function launch() {
  // Fresh data every start: tests must not see topics from an earlier run.
  rmSync(paths.run, { recursive: true, force: true });
  mkdirSync(paths.run, { recursive: true });

  const port = await pickPort(DEFAULT_PORT, [DEFAULT_CONTROLLER_PORT]);
  const controllerPort = await pickPort(DEFAULT_CONTROLLER_PORT, [port]);
  if (DEFAULT_PORT !== 0 && port !== DEFAULT_PORT) log(`port ${DEFAULT_PORT} is taken: broker uses ${port}`);
  if (DEFAULT_CONTROLLER_PORT !== 0 && controllerPort !== DEFAULT_CONTROLLER_PORT)
    log(`port ${DEFAULT_CONTROLLER_PORT} is taken: controller uses ${controllerPort}`);
  writeConfig(port, controllerPort);

  const jvm = [
    ...HEAP_OPTS,
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${paths.log4j}`,
    '-cp',
    classpath(),
  ];
  const clusterId = newClusterId();
  const format = ['kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', paths.config];
  const fmt = spawnSync(java, [...jvm, ...format], { encoding: 'utf8' });
  if (fmt.error?.code === 'ENOENT') throw new Error(`${java} not found: Java 17+ is needed`);
  if (fmt.status !== 0)
    throw new Error(`formatting storage failed (exit ${fmt.status}):\n${fmt.stdout}${fmt.stderr}`);

  const t0 = Date.now();
  const out = openSync(paths.log, 'w');
  // detached: own process group, so it outlives this script and `stop` can signal the whole group.
  const child = spawn(java, [...jvm, 'kafka.Kafka', paths.config], {
    detached: true,
    stdio: ['ignore', out, out],
    cwd: paths.run,
  });
  closeSync(out);
  child.unref();
  writeFileSync(paths.pid, String(child.pid));
  log(`broker pid ${child.pid} starting on ${HOST}:${port} (controller ${controllerPort}), log ${paths.log}`);

  try {
    await waitReady(port, child, clusterId);
  } catch (err) {
    killGroup(child.pid, 'SIGKILL');
    throw err;
  }
  log(`broker ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const address = `${HOST}:${port}`;
  writeFileSync(paths.bootstrap, `${address}\n`);
  return { address, started: true };
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal); // the whole group: java and anything it forked
  } catch {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

/** SIGTERM, wait up to 20 s, then SIGKILL; then wipe the data. Returns whether anything ran. */
export async function stop() {
  const pids = brokerPids();
  for (const pid of pids) killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pids.some(isOurBroker) && Date.now() < deadline) await sleep(200);
  const stubborn = pids.filter(isOurBroker);
  for (const pid of stubborn) {
    log(`pid ${pid} ignored SIGTERM for ${STOP_TIMEOUT_MS / 1000} s: SIGKILL`);
    killGroup(pid, 'SIGKILL');
  }
  while (stubborn.some(isOurBroker)) await sleep(100);
  // Keep kafka.log (and the config) for a post-mortem; the next start replaces them.
  for (const p of [paths.data, paths.pid, paths.bootstrap]) rmSync(p, { recursive: true, force: true });
  return pids.length > 0;
}
