import { metricsOff, recordMetric } from './record-metric.js';

/**
 * Times one durable write into `capital.sink.write.duration` (failed writes included: a slow
 * failure is worth seeing), labelled with the sink's name.
 * @returns what `write` returns; rejects with what it throws.
 * @example await timeSinkWrite('PostgresSink', () => sink.write(page));
 */
export function timeSinkWrite<R>(sink: string, write: () => Promise<R>): Promise<R> {
  if (!metricsOff()) return timed(sink, write);
  try {
    return write();
  } catch (error) {
    return Promise.reject(error);
  }
}

async function timed<R>(sink: string, write: () => Promise<R>): Promise<R> {
  const started = performance.now();
  try {
    return await write();
  } finally {
    recordMetric('capital.sink.write.duration', performance.now() - started, { 'capital.sink': sink });
  }
}
