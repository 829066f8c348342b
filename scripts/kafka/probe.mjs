// Talks just enough of the Kafka wire protocol to tell whether a broker is
// really serving: a TCP connect succeeds long before the broker is usable.
import net from 'node:net';

const API_METADATA = 3;
const API_VERSIONS = 18;
const CLIENT_ID = 'kafka.mjs-probe';

/** Frames a request with header v1 (api key, version, correlation id, client id). */
function request(apiKey, apiVersion, correlationId, body = Buffer.alloc(0)) {
  const clientId = Buffer.from(CLIENT_ID);
  const header = Buffer.alloc(10 + clientId.length);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  clientId.copy(header, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length);
  return Buffer.concat([size, header, body]);
}

/** One connection that sends requests in turn and hands back each response body. */
function connect(host, port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffered = Buffer.alloc(0);
    let waiting = null;
    const fail = (err) => {
      socket.destroy();
      if (waiting) waiting.reject(err);
      else reject(err);
      waiting = null;
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no reply within ${timeoutMs} ms`)));
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by broker')));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4) return;
      const size = buffered.readInt32BE(0);
      if (buffered.length < 4 + size) return;
      const frame = buffered.subarray(4, 4 + size);
      buffered = buffered.subarray(4 + size);
      const w = waiting;
      waiting = null;
      w?.resolve(frame);
    });
    socket.on('connect', () =>
      resolve({
        send(buf) {
          return new Promise((res, rej) => {
            waiting = { resolve: res, reject: rej };
            socket.write(buf);
          });
        },
        close() {
          socket.removeAllListeners('close');
          socket.destroy();
        },
      }),
    );
  });
}

/**
 * Asks the broker for its API versions, then for cluster metadata. Resolves
 * with the brokers the cluster lists; a fenced (not yet usable) broker is not
 * listed, so an empty list means "answering but not ready yet".
 */
export async function probeBroker(host, port, timeoutMs = 3000) {
  const conn = await connect(host, port, timeoutMs);
  try {
    // ApiVersions v0: every broker answers it (with error 35 and its ranges
    // if it no longer likes v0), so it also tells us which Metadata to send.
    const av = await conn.send(request(API_VERSIONS, 0, 1));
    if (av.readInt32BE(0) !== 1) throw new Error('ApiVersions: wrong correlation id');
    const errorCode = av.readInt16BE(4);
    if (errorCode !== 0 && errorCode !== 35) throw new Error(`ApiVersions: error ${errorCode}`);
    const ranges = new Map();
    const count = av.readInt32BE(6);
    for (let i = 0, o = 10; i < count; i++, o += 6) {
      ranges.set(av.readInt16BE(o), [av.readInt16BE(o + 2), av.readInt16BE(o + 4)]);
    }
    const [min, max] = ranges.get(API_METADATA) ?? [0, -1];
    // v4..v8 share one non-flexible layout (v4 added allow_auto_topic_creation).
    const version = Math.max(min, 4);
    if (version > Math.min(max, 8)) throw new Error(`Metadata v4-8 unsupported (broker: ${min}-${max})`);

    // Metadata with an empty (not null) topic list: brokers only, no topics.
    const body = Buffer.from([0, 0, 0, 0, 0]); // topics: [] ; allow_auto_topic_creation: false
    const md = await conn.send(request(API_METADATA, version, 2, body));
    if (md.readInt32BE(0) !== 2) throw new Error('Metadata: wrong correlation id');
    let o = 8; // correlation id, throttle_time_ms
    const brokers = [];
    const n = md.readInt32BE(o);
    o += 4;
    for (let i = 0; i < n; i++) {
      const nodeId = md.readInt32BE(o);
      const hostLen = md.readInt16BE(o + 4);
      const brokerHost = md.toString('utf8', o + 6, o + 6 + hostLen);
      o += 6 + hostLen;
      const brokerPort = md.readInt32BE(o);
      const rackLen = md.readInt16BE(o + 4);
      o += 6 + Math.max(rackLen, 0);
      brokers.push({ nodeId, host: brokerHost, port: brokerPort });
    }
    // cluster_id (nullable string): tells our broker from another one that got the port first.
    const idLen = md.readInt16BE(o);
    const clusterId = idLen < 0 ? null : md.toString('utf8', o + 2, o + 2 + idLen);
    return { apiCount: count, metadataVersion: version, brokers, clusterId };
  } finally {
    conn.close();
  }
}

/**
 * True when the broker at host:port answers and lists itself as usable — and, given
 * `clusterId`, is of that cluster (a test run in another clone may have bound the port first).
 */
export async function isReady(host, port, timeoutMs, clusterId) {
  try {
    const probed = await probeBroker(host, port, timeoutMs);
    if (clusterId !== undefined && probed.clusterId !== clusterId) return false;
    return probed.brokers.some((b) => b.port === port);
  } catch {
    return false;
  }
}

/** True when nothing listens on 127.0.0.1:port (we can bind it ourselves). */
export function isPortFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The wanted port if free, else the next free one above it; with `wanted` 0, one the OS picks. */
export async function pickPort(wanted, avoid = []) {
  for (let p = wanted; wanted > 0 && p < wanted + 50 && p < 65536; p++) {
    if (!avoid.includes(p) && (await isPortFree(p))) return p;
  }
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });
    if (!avoid.includes(port)) return port;
  }
}
