import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCache } from '../../src/cache/redis-cache.js';
import { createRedisClient } from '../../src/cache/redis-client.js';
import type { Cache } from '../../src/cache/cache.js';
import { createCachedResolver, credentialKey } from '../../src/resolver/cached-resolver.js';
import { createResolverClient } from '../../src/resolver/resolver-client.js';
import { createUpstreamClient, type UpstreamClient } from '../../src/upstream/http-client.js';
import { RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { redisCli, startRedis, type RedisServer } from '../support/redis.js';

// With no in-process tier (local TTL 0), every request reads Redis; the decoded answer held
// for serve-stale is reused while Redis returns the very same text, and only then.
let authgear: AuthgearStandIn;
let redis: RedisServer;
let shared: Cache;
let client: UpstreamClient;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  redis = await startRedis();
  shared = createRedisCache({ client: createRedisClient({ url: redis.url, connectTimeoutMs: 5000 })!, keyPrefix: 'text-reuse:', timeoutMs: 2000, connectTimeoutMs: 5000 });
  await shared.ping();
  client = createUpstreamClient({ baseUrl: authgear.url, publicOrigin: authgear.origin, timeoutMs: 2000, maxInFlight: 32, maxQueued: 256 });
});
afterAll(async () => {
  client?.close();
  await shared?.close();
  await redis?.stop();
  await authgear?.close();
});

describe('a resolver answer read back from Redis', () => {
  it('is decoded once per text: the same answer object while Redis holds the same bytes, a new one when they change', async () => {
    const resolver = createCachedResolver({
      resolver: createResolverClient({ client, cookieNames: ['session'] }),
      shared,
      namespace: authgear.origin,
      positiveTtlMs: 30_000,
      negativeTtlMs: 10_000,
      localTtlMs: 0,
      localMaxEntries: 100,
      serveStaleMs: 60_000,
      now: Date.now,
    });
    const credentials = { bearer: undefined, cookies: [{ name: 'session', value: authgear.sessions.issue('session').value }] };
    const callsBefore = authgear.count(RESOLVE_PATH);
    const first = await resolver.resolve(credentials);
    const second = await resolver.resolve(credentials);
    const third = await resolver.resolve(credentials);
    expect(authgear.count(RESOLVE_PATH) - callsBefore).toBe(1);
    expect(second.answer).toBe(first.answer);
    expect(third.answer).toBe(first.answer);

    // Another replica re-stored the answer (new freshUntil, other user id): new text, decoded anew.
    const key = `text-reuse:${credentialKey(authgear.origin, credentials)}`;
    const text = (await redisCli(redis.port, 'GET', key))!;
    const changed = text.replace(/"freshUntil":\d+/, `"freshUntil":${Date.now() + 20_000}`).replace(/"userId":"[^"]+"/, '"userId":"re-stored-user"');
    expect(changed).not.toBe(text);
    expect(await redisCli(redis.port, 'SET', key, changed, 'PX', '60000')).toBe('OK');
    const fourth = await resolver.resolve(credentials);
    expect(fourth.answer).not.toBe(first.answer);
    expect(fourth.answer.valid && fourth.answer.identity.userId).toBe('re-stored-user');
    expect(authgear.count(RESOLVE_PATH) - callsBefore).toBe(1);

    // The resolver answers for users only: a stored text naming a machine client is still a user.
    const asClient = changed.replace('"identity":{', '"identity":{"kind":"client",');
    expect(await redisCli(redis.port, 'SET', key, asClient, 'PX', '60000')).toBe('OK');
    const fifth = await resolver.resolve(credentials);
    expect([first.answer.valid && first.answer.identity.kind, fifth.answer.valid && fifth.answer.identity.kind]).toEqual(['user', 'user']);
  });
});
