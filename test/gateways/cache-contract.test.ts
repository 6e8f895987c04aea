import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/cache/cache.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createRedisCache } from '../../src/cache/redis-cache.js';
import { createRedisClient, type RedisTopology } from '../../src/cache/redis-client.js';
import { createSignedCache } from '../../src/cache/signed-cache.js';
import { startRedis, startRedisCluster, startRedisSentinel, TEST_HMAC_SECRET } from '../support/redis.js';

interface Opened {
  cache: Cache;
  /**
   * Lets `ms` pass on the clock the cache's TTLs run on: a test clock where the
   * implementation takes one, the real one where it does not (Redis expires by its own).
   */
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** Redis keeps its own time: TTLs pass for real, with a margin for its clock's resolution. */
const realTime = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms + 50));

/** The in-process caches' clock, moved by the tests. */
function testClock() {
  let now = 1_000_000;
  return { now: () => now, advance: async (ms: number) => { now += ms; } };
}

async function openRedis(topology: Omit<RedisTopology, 'connectTimeoutMs'>, stopServers: () => Promise<unknown>): Promise<Opened> {
  const cache = createRedisCache({
    client: createRedisClient({ ...topology, connectTimeoutMs: 10_000 })!,
    keyPrefix: `contract-${randomUUID()}:`,
    timeoutMs: 2000,
    connectTimeoutMs: 10_000,
  });
  await cache.ping();
  return {
    cache,
    advance: realTime,
    async stop() {
      await cache.close();
      await stopServers();
    },
  };
}

/** Every Cache implementation, and every Redis topology the configuration offers. */
const IMPLEMENTATIONS: Array<[string, () => Promise<Opened>]> = [
  ['memory', async () => {
    const clock = testClock();
    return { cache: createMemoryCache({ maxEntries: 1000, now: clock.now }), advance: clock.advance, stop: async () => {} };
  }],
  ['redis', async () => {
    const redis = await startRedis();
    return openRedis({ url: redis.url }, () => redis.stop());
  }],
  ['redis through sentinel', async () => {
    const master = await startRedis();
    const sentinel = await startRedisSentinel(master.port);
    return openRedis({ sentinelUrls: [sentinel.url], sentinelMaster: 'gate-master' }, () => Promise.all([sentinel.stop(), master.stop()]));
  }],
  ['redis cluster', async () => {
    const cluster = await startRedisCluster();
    return openRedis({ clusterUrls: cluster.urls }, () => cluster.stop());
  }],
  // What the sidecar shares through Redis goes through the signing wrapper: same contract.
  ['signed memory', async () => {
    const clock = testClock();
    return { cache: signed(createMemoryCache({ maxEntries: 1000, now: clock.now }), clock.now), advance: clock.advance, stop: async () => {} };
  }],
  ['signed redis', async () => {
    const redis = await startRedis();
    const opened = await openRedis({ url: redis.url }, () => redis.stop());
    return { ...opened, cache: signed(opened.cache) };
  }],
];

function signed(cache: Cache, now?: () => number): Cache {
  return createSignedCache(cache, {
    secret: TEST_HMAC_SECRET,
    purpose: 'resolver',
    ...(now ? { now } : {}),
    onRejected: (reason) => { throw new Error(`an entry this cache wrote was rejected (${reason})`); },
  });
}

describe.each(IMPLEMENTATIONS)('the %s cache', (_name, open) => {
  let opened: Opened;
  let cache: Cache;
  beforeAll(async () => {
    opened = await open();
    cache = opened.cache;
  });
  afterAll(() => opened?.stop());

  const key = () => `key-${randomUUID()}`;

  it('has nothing under a key never set', async () => {
    expect(await cache.get(key())).toBeUndefined();
  });

  it('returns what was set, and the latest value set', async () => {
    const name = key();
    await cache.set(name, 'first', 60_000);
    expect(await cache.get(name)).toBe('first');
    await cache.set(name, 'second {"json":true}', 60_000);
    expect(await cache.get(name)).toBe('second {"json":true}');
  });

  it('keeps keys apart', async () => {
    const [a, b] = [key(), key()];
    await cache.set(a, 'a', 60_000);
    await cache.set(b, 'b', 60_000);
    expect([await cache.get(a), await cache.get(b)]).toEqual(['a', 'b']);
  });

  it('forgets a value once its TTL has passed, and not before', async () => {
    const [short, long] = [key(), key()];
    await cache.set(short, 'soon gone', 300);
    await cache.set(long, 'stays', 60_000);
    await opened.advance(100);
    expect(await cache.get(short)).toBe('soon gone');
    await opened.advance(300);
    expect(await cache.get(short)).toBeUndefined();
    expect(await cache.get(long)).toBe('stays');
  });

  it('deletes', async () => {
    const name = key();
    await cache.set(name, 'value', 60_000);
    await cache.del(name);
    expect(await cache.get(name)).toBeUndefined();
    await cache.del(name);
  });

  it('adds only when the key is absent, so exactly one of several callers wins', async () => {
    const name = key();
    const results = await Promise.all(Array.from({ length: 5 }, (_, index) => cache.add(name, `owner-${index}`, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await cache.get(name)).toBe(`owner-${results.indexOf(true)}`);
  });

  it('adds again once the previous value expired or was deleted', async () => {
    const [expiring, deleted] = [key(), key()];
    expect(await cache.add(expiring, 'one', 300)).toBe(true);
    expect(await cache.add(expiring, 'two', 60_000)).toBe(false);
    await opened.advance(400);
    expect(await cache.add(expiring, 'two', 60_000)).toBe(true);
    expect(await cache.add(deleted, 'one', 60_000)).toBe(true);
    await cache.del(deleted);
    expect(await cache.add(deleted, 'two', 60_000)).toBe(true);
  });

  it('answers a ping when healthy', async () => {
    await expect(cache.ping()).resolves.toBeUndefined();
  });
});
