// One process of the auto-rate benchmark (auto-rate-bench.mjs): `concurrency` loops that take
// a permit from a RedisLimiter, send one request to the emulator, and tell the limiter what
// the API answered — what a crawl's attempt does (run-task.ts), without the crawl around it.
// argv: mode (auto | fixed RATE), redisUrl, prefix, baseUrl, token, concurrency.
// Messages: parent → { type: 'go', durationMs }; worker → { type: 'ready' }, { type: 'done', … }.
const [mode, redisUrl, prefix, baseUrl, token, concurrencyText] = process.argv.slice(2);
const { RedisLimiter } = await import(
  new URL('../../packages/core/dist/limit/redis-limiter.js', import.meta.url)
);
const limiter = new RedisLimiter({
  redis: redisUrl,
  prefix,
  rate: mode === 'auto' ? '1/1s' : mode,
  ...(mode === 'auto' ? { adaptive: {} } : {}),
});
const key = 'bench-account';
let sent = 0;
let throttled = 0;

async function loop(until) {
  while (Date.now() < until) {
    await limiter.acquire(key);
    if (Date.now() >= until) return;
    const response = await fetch(`${baseUrl}/v1/item`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.arrayBuffer();
    sent += 1;
    await limiter.learn(key, { status: response.status, headers: response.headers });
    if (response.status === 429) {
      throttled += 1;
      const retryAfter = Number(response.headers.get('retry-after'));
      if (retryAfter > 0) await limiter.pause(key, retryAfter * 1000);
    }
  }
}

process.on('message', async (message) => {
  if (message.type !== 'go') return;
  const until = Date.now() + message.durationMs;
  await Promise.all(Array.from({ length: Number(concurrencyText) }, () => loop(until)));
  process.send({ type: 'done', sent, throttled, learntRate: limiter.learntRate(key) ?? null });
  await limiter.close();
  process.exit(0);
});
process.send({ type: 'ready' });
