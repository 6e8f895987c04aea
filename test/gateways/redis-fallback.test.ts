import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReadinessReport } from '../../src/ops/ops-routes.js';
import type { CacheObserver } from '../../src/cache/cache.js';
import { entryKey, sealEntry } from '../../src/cache/signed-cache.js';
import { credentialKey } from '../../src/resolver/cached-resolver.js';
import { RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { redisCli, startRedis, TEST_HMAC_SECRET, type RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';
import { REASON_HEADER } from '../support/answers.js';

/** In-process gates on a real Redis, watched through the cache observer. */
let authgear: AuthgearStandIn;
let redis: RedisServer;
let nowMs: number;
let events: string[];
const gates: TestGate[] = [];

/** The signed expiry of planted entries: far enough to be read, as a genuine one would be. */
const FUTURE = Date.now() + 600_000;
const observer: CacheObserver = {
  onCacheLookup: (cache, layer, outcome) => void events.push(`${cache} ${layer} ${outcome}`),
  onRedisError: (operation) => void events.push(`redis error ${operation}`),
  onServeStale: () => void events.push('stale'),
};

async function gateWith(env: Record<string, string> = {}, now = () => nowMs): Promise<TestGate> {
  // A generous Redis budget: a busy test machine must not turn a slow answer into a fallback.
  const gate = await startTestGate(authgear, { REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET, REDIS_KEY_PREFIX: `t${Math.random()}:`, REDIS_TIMEOUT_MS: '2000', ...env }, { now, cacheObserver: observer });
  gates.push(gate);
  return gate;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());
beforeEach(async () => {
  nowMs = Date.now();
  events = [];
  authgear = await startAuthgearStandIn();
});
afterEach(async () => {
  redis.process.kill('SIGCONT');
  for (const gate of gates.splice(0)) await gate.close();
  await authgear.close();
});

const calls = () => authgear.count(RESOLVE_PATH);
const count = (event: string) => events.filter((seen) => seen === event).length;
const session = (value: string) => ({ cookie: `session=${value}` });

describe('the in-process tier in front of Redis', () => {
  it('answers a cached JWT without touching Redis, even when Redis hangs', async () => {
    const gate = await gateWith();
    const token = await authgear.accessToken();
    expect((await gate.auth(bearer(token))).status).toBe(200);
    redis.process.kill('SIGSTOP');
    events = [];
    for (let index = 0; index < 20; index++) expect((await gate.auth(bearer(token))).status).toBe(200);
    expect(events).toEqual([]);
  });

  it('answers a repeated session for its local TTL, then from Redis, and only then from Authgear', async () => {
    const gate = await gateWith({ RESOLVER_LOCAL_TTL_SECONDS: '5' });
    const { value } = authgear.sessions.issue('session');
    events = [];
    await gate.auth(session(value));
    expect(events).toEqual(['resolver memory miss', 'resolver redis miss']);
    events = [];
    nowMs += 4_000;
    await gate.auth(session(value));
    expect(events).toEqual(['resolver memory hit']);
    events = [];
    nowMs += 2_000;
    expect((await gate.auth(session(value))).status).toBe(200);
    expect(events).toEqual(['resolver memory miss', 'resolver redis hit']);
    expect(calls()).toBe(1);
  });

  it('treats an unreadable Redis entry as a miss', async () => {
    const prefix = `garbage${Math.random()}:`;
    const gate = await gateWith({ REDIS_KEY_PREFIX: prefix });
    const { value, user } = authgear.sessions.issue('session');
    await gate.auth(session(value));
    const [key] = (await redisCli(redis.port, '--scan', '--pattern', `${prefix}resolver:*`))!.split('\n');
    // Signed with the right secret under the right key, so it is the content that is refused.
    const named = credentialKey(authgear.origin, { bearer: undefined, cookies: [{ name: 'session', value }] });
    expect(key).toBe(prefix + entryKey(TEST_HMAC_SECRET, 'resolver', named));
    await redisCli(redis.port, 'set', key!, sealEntry(TEST_HMAC_SECRET, 'resolver', named, '{"freshUntil":99999999999999,"answer":{"valid":true,"identity":{"userId":"admin"}}}', FUTURE));
    nowMs += 6_000;
    expect((await gate.auth(session(value))).headers.get('x-authgear-user-id')).toBe(user.id);
    expect(calls()).toBe(2);
  });
});

describe('when Redis is not there at all', () => {
  it('starts, becomes ready and answers JWTs and sessions on its own, reporting Redis down', async () => {
    const nowhere = await startRedis();
    await nowhere.stop();
    const gate = await gateWith({ REDIS_URL: nowhere.url });
    expect(gate.keyStore.isReady()).toBe(true);
    expect((await gate.auth(bearer(await authgear.accessToken()))).status).toBe(200);
    const { value, user } = authgear.sessions.issue('session');
    expect((await gate.auth(session(value))).headers.get('x-authgear-user-id')).toBe(user.id);
    const readiness = await gate.request('/readyz');
    expect(readiness.status).toBe(200);
    expect(((await readiness.json()) as ReadinessReport).checks.redis).toMatch(/^unavailable/);
  });
});

describe('when Redis hangs', () => {
  it('answers from Authgear after the Redis timeout, counts the error, and stays ready', async () => {
    const gate = await gateWith({ REDIS_TIMEOUT_MS: '100' });
    redis.process.kill('SIGSTOP');
    const { value, user } = authgear.sessions.issue('session');
    expect((await gate.auth(session(value))).headers.get('x-authgear-user-id')).toBe(user.id);
    expect(count('redis error get')).toBe(1);
    expect(count('resolver redis error')).toBe(1);
    const readiness = await gate.request('/readyz');
    expect(readiness.status).toBe(200);
    expect(((await readiness.json()) as ReadinessReport).checks.redis).toMatch(/^unavailable: .*timed out/);
    redis.process.kill('SIGCONT');
    expect(((await (await gate.request('/readyz')).json()) as ReadinessReport).checks.redis).toBe('ok');
  });

  it('keeps what it resolved in process for the full TTL, since it cannot share it', async () => {
    const gate = await gateWith({ REDIS_TIMEOUT_MS: '100' });
    redis.process.kill('SIGSTOP');
    const { value } = authgear.sessions.issue('session');
    await gate.auth(session(value));
    nowMs += 20_000;
    expect((await gate.auth(session(value))).status).toBe(200);
    expect(calls()).toBe(1);
    authgear.sessions.revoke(value);
    nowMs += 11_000;
    expect((await gate.auth(session(value))).status).toBe(401);
  });
});

describe('signing keys shared through Redis', () => {
  it('are read from Redis by a replica starting while Authgear is down, even past their reuse age', async () => {
    const prefix = `keys${Math.random()}:`;
    await gateWith({ REDIS_KEY_PREFIX: prefix });
    expect(authgear.count('/oauth2/jwks')).toBe(1);
    authgear.setState('down');
    const late = await gateWith({ REDIS_KEY_PREFIX: prefix }, () => nowMs + 200_000);
    expect(late.keyStore.isReady()).toBe(true);
    expect((await late.auth(bearer(await authgear.accessToken()))).status).toBe(200);
  });

  it('are fetched from Authgear when what Redis holds is not a key set', async () => {
    const prefix = `badkeys${Math.random()}:`;
    const named = `jwks:${authgear.origin}`;
    await redisCli(redis.port, 'set', prefix + entryKey(TEST_HMAC_SECRET, 'keys', named), sealEntry(TEST_HMAC_SECRET, 'keys', named, JSON.stringify({ fetchedAt: nowMs, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), FUTURE));
    const gate = await gateWith({ REDIS_KEY_PREFIX: prefix });
    expect(authgear.count('/oauth2/jwks')).toBe(1);
    expect([count('keys redis hit'), count('keys redis miss') > 0]).toEqual([0, true]);
    expect((await gate.auth(bearer(await authgear.accessToken()))).status).toBe(200);
  });

  it('are chased once for all replicas when unknown kids arrive, and refreshed once for all', async () => {
    const prefix = `flood${Math.random()}:`;
    const [a, b] = [await gateWith({ REDIS_KEY_PREFIX: prefix }), await gateWith({ REDIS_KEY_PREFIX: prefix })];
    expect(authgear.count('/oauth2/jwks')).toBe(1);
    const stranger = await authgear.newUnpublishedKey();
    const randomKid = () => authgear.accessToken({ key: { ...stranger, kid: crypto.randomUUID() } });
    nowMs += 1_000;
    expect((await a.auth(bearer(await randomKid()))).status).toBe(401);
    expect(authgear.count('/oauth2/jwks')).toBe(2);
    expect((await b.auth(bearer(await randomKid()))).status).toBe(401);
    expect(authgear.count('/oauth2/jwks')).toBe(2);

    nowMs += 301_000;
    const token = await authgear.accessToken({ now: Math.floor(nowMs / 1000) });
    await a.auth(bearer(token));
    await waitFor(() => authgear.count('/oauth2/jwks') === 3, 10_000, 'replica a to refresh');
    events = [];
    await b.auth(bearer(await authgear.accessToken({ now: Math.floor(nowMs / 1000) })));
    await waitFor(() => count('keys redis hit') === 1, 10_000, 'replica b to refresh from redis');
    // had it fetched anyway, the local stand-in would have been asked within milliseconds
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(authgear.count('/oauth2/jwks')).toBe(3);
  });
});

describe('two projects sharing one Redis', () => {
  it('never see each other\'s answers for the same cookie value', async () => {
    const other = await startAuthgearStandIn();
    const prefix = `shared${Math.random()}:`;
    const mine = await gateWith({ REDIS_KEY_PREFIX: prefix });
    const theirs = await startTestGate(other, { REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET, REDIS_KEY_PREFIX: prefix });
    gates.push(theirs);
    const { value } = authgear.sessions.issue('session');
    expect((await mine.auth(session(value))).status).toBe(200);
    expect((await theirs.auth(session(value))).headers.get(REASON_HEADER)).toBe('session_invalid');
    expect(other.count(RESOLVE_PATH)).toBe(1);
    await other.close();
  });
});
