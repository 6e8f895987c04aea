import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheObserver } from '../../src/cache/cache.js';
import { RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { startRedis, type RedisServer } from '../support/redis.js';

/** A rolling change of REDIS_HMAC_SECRET: replicas on the old secret and on the new one, one Redis. */
let authgear: AuthgearStandIn;
let redis: RedisServer;
const gates: TestGate[] = [];
const OLD = randomBytes(32).toString('base64');
const NEW = randomBytes(32).toString('base64');
const PREFIX = `rotation${Math.random()}:`;
const rejections: string[] = [];
const observer: CacheObserver = { onEntryRejected: (cache, reason) => void rejections.push(`${cache} ${reason}`) };

async function replica(env: Record<string, string>): Promise<TestGate> {
  const gate = await startTestGate(authgear, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: PREFIX, REDIS_TIMEOUT_MS: '2000', RESOLVER_LOCAL_TTL_SECONDS: '0', ...env }, { cacheObserver: observer });
  gates.push(gate);
  return gate;
}

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  redis = await startRedis();
});
afterAll(async () => {
  for (const gate of gates) await gate.close();
  await redis?.stop();
  await authgear?.close();
});

describe('rotating the Redis signing secret', () => {
  it('lets replicas on the new secret read what the old ones shared, while writing only with the new one', async () => {
    const old = await replica({ REDIS_HMAC_SECRET: OLD });
    expect(authgear.count('/oauth2/jwks')).toBe(1);
    const { value, user } = authgear.sessions.issue('session');
    expect((await old.auth({ cookie: `session=${value}` })).headers.get('x-authgear-user-id')).toBe(user.id);
    expect(authgear.count(RESOLVE_PATH)).toBe(1);

    const rotating = await replica({ REDIS_HMAC_SECRET: NEW, REDIS_HMAC_PREVIOUS_SECRET: OLD });
    expect(authgear.count('/oauth2/jwks')).toBe(1);
    expect((await rotating.auth(bearer(await authgear.accessToken()))).status).toBe(200);
    expect((await rotating.auth({ cookie: `session=${value}` })).headers.get('x-authgear-user-id')).toBe(user.id);
    expect(authgear.count(RESOLVE_PATH)).toBe(1);

    // With the old secret dropped, its entries live under keys this replica never reads:
    // a plain miss (one resolver call), not a rejection.
    const renewed = await replica({ REDIS_HMAC_SECRET: NEW });
    expect((await renewed.auth({ cookie: `session=${value}` })).headers.get('x-authgear-user-id')).toBe(user.id);
    expect(authgear.count(RESOLVE_PATH)).toBe(2);
    expect(rejections).toEqual([]);
  });
});
