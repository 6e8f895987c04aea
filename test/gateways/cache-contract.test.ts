import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../src/cache/cache.js';
import { createMemoryCache } from '../src/cache/memory-cache.js';
import { createRedisCache } from '../src/cache/redis-cache.js';
import { createRedisClient, type RedisTopology } from '../src/cache/redis-client.js';
import { createSignedCache } from '../src/cache/signed-cache.js';
import { startRedis, startRedisCluster, startRedisSentinel, TEST_HMAC_SECRET } from './support/redis.js';
import { waitFor } from './support/wait-for.js';

interface Opened {
  cache: Cache;
  stop(): Promise<void>;
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
    async stop() {
      await cache.close();
      await stopServers();
    },
  };
}

/** Every Cache implementation, and every Redis topology the configuration offers. */
const IMPLEMENTATIONS: Array<[string, () => Promise<Opened>]> = [
  ['memory', async () => ({ cache: createMemoryCache({ maxEntries: 1000 }), stop: async () => {} })],
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
  ['signed memory', async () => ({ cache: signed(createMemoryCache({ maxEntries: 1000 })), stop: async () => {} })],
  ['signed redis', async () => {
    const redis = await startRedis();
    const opened = await openRedis({ url: redis.url }, () => redis.stop());
    return { ...opened, cache: signed(opened.cache) };
  }],
];

function signed(cache: Cache): Cache {
  return createSignedCache(cache, {
    secret: TEST_HMAC_SECRET,
    purpose: 'resolver',
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
    await waitFor(async () => (await cache.get(short)) === undefined, 10_000, 'the short-lived value to expire');
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
    await waitFor(async () => (await cache.get(expiring)) === undefined, 10_000, 'the lock to expire');
    expect(await cache.add(expiring, 'two', 60_000)).toBe(true);
    expect(await cache.add(deleted, 'one', 60_000)).toBe(true);
    await cache.del(deleted);
    expect(await cache.add(deleted, 'two', 60_000)).toBe(true);
  });

  it('answers a ping when healthy', async () => {
    await expect(cache.ping()).resolves.toBeUndefined();
  });
});
