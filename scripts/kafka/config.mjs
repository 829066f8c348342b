// Where things live, and the files the broker is started with.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
// KAFKA_CACHE_DIR lets CI or a second checkout keep the jars elsewhere.
const cache = process.env.KAFKA_CACHE_DIR ? resolve(process.env.KAFKA_CACHE_DIR) : join(root, '.cache/kafka');
const run = join(cache, 'run');

export const paths = {
  pom: join(here, 'pom.xml'),
  libs: join(cache, 'libs'),
  run,
  data: join(run, 'data'),
  pid: join(run, 'kafka.pid'),
  log: join(run, 'kafka.log'),
  bootstrap: join(run, 'bootstrap'),
  config: join(run, 'server.properties'),
  log4j: join(run, 'log4j2.properties'),
  lock: join(cache, 'start.lock'),
};

export const HOST = '127.0.0.1';
// Without KAFKA_PORT, ports the OS picks: two test runs starting brokers at once (two clones)
// would otherwise both try 39092 and one would fail.
export const DEFAULT_PORT = Number(process.env.KAFKA_PORT) || 0;
export const DEFAULT_CONTROLLER_PORT = Number(process.env.KAFKA_CONTROLLER_PORT) || 0;
export const START_TIMEOUT_MS = Number(process.env.KAFKA_START_TIMEOUT_MS) || 90_000;
export const STOP_TIMEOUT_MS = 20_000;
export const HEAP_OPTS = (process.env.KAFKA_HEAP_OPTS || '-Xms256m -Xmx512m').split(/\s+/).filter(Boolean);

/** The Kafka version pinned in pom.xml, so the cache check follows the pom. */
export function kafkaVersion() {
  const m = readFileSync(paths.pom, 'utf8').match(/<kafka\.version>([^<]+)<\/kafka\.version>/);
  if (!m) throw new Error(`no <kafka.version> in ${paths.pom}`);
  return m[1].trim();
}

/** A cluster id as Kafka's Uuid.randomUuid makes them: 16 random bytes, base64url. */
export function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka refuses ids that look like CLI flags
  }
}

/** KRaft combined mode (broker + controller in one JVM), loopback only, one replica of everything. */
export function writeConfig(port, controllerPort) {
  const props = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // 4.x dynamic quorum; `StorageTool format --standalone` makes node 1 its only voter.
    'controller.quorum.bootstrap.servers': `${HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': paths.data,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'auto.create.topics.enable': true,
    'delete.topic.enable': true,
    // Internal topics: one replica, few partitions, so the first group/txn is quick to set up.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Tests want consumers assigned at once, not after the default 3 s wait.
    'group.initial.rebalance.delay.ms': 0,
    // A test broker: fewer threads, less memory.
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
  };
  const text = Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  writeFileSync(paths.config, `# Written by scripts/kafka/kafka.mjs; rewritten on every start.\n${text}\n`);

  // Everything to stdout (which kafka.mjs sends to kafka.log); INFO shows startup progress.
  writeFileSync(
    paths.log4j,
    [
      'status = warn',
      // Keep logging while the JVM shuts down (log4j would otherwise stop at the first hook).
      'shutdownHook = disable',
      'appender.out.type = Console',
      'appender.out.name = STDOUT',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.out.ref = STDOUT',
      'logger.request.name = kafka.request.logger',
      'logger.request.level = WARN',
      // Every client/server config dump is ~150 lines at INFO; keep the log readable.
      'logger.config.name = org.apache.kafka.common.config.AbstractConfig',
      'logger.config.level = WARN',
      '',
    ].join('\n'),
  );
}

/** The PLAINTEXT port of the config last written, if any. */
export function configuredPort() {
  try {
    const m = readFileSync(paths.config, 'utf8').match(/^listeners=PLAINTEXT:\/\/[^:]+:(\d+)/m);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
