import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryKey } from '../../src/cache/signed-cache.js';
import { credentialKey } from '../../src/resolver/cached-resolver.js';
import { RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { httpGet, startGateProcess, type Spawned } from '../support/processes.js';
import { redisCli, startRedis, TEST_HMAC_SECRET, type RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';
import { REASON_HEADER } from '../support/answers.js';

/** Two replicas (the built server, as deployed) sharing one real Redis. */
let authgear: AuthgearStandIn;
let redis: RedisServer;
let replicas: Array<Spawned & { url: string }>;

const NEGATIVE_TTL_SECONDS = 3;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  redis = await startRedis();
  const env = { AUTHGEAR_ENDPOINT: authgear.origin, REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET, REDIS_TIMEOUT_MS: '2000', RESOLVER_NEGATIVE_TTL_SECONDS: String(NEGATIVE_TTL_SECONDS) };
  // Started together: the fetch lock, not start-up order, makes one of them fetch.
  replicas = await Promise.all([startGateProcess(env), startGateProcess(env)]);
});
afterAll(async () => {
  for (const replica of replicas ?? []) await replica.stop();
  await redis?.stop();
  await authgear?.close();
});

const auth = (replica: number, headers: Record<string, string>) => httpGet(`${replicas[replica]!.url}/auth`, { 'x-original-uri': '/', host: 'app.example.test', ...headers });
const userOf = async (replica: number, headers: Record<string, string>) => {
  const answer = await auth(replica, headers);
  return `${answer.status} ${answer.headers['x-authgear-user-id'] ?? answer.headers[REASON_HEADER]}`;
};
const calls = () => authgear.count(RESOLVE_PATH);
const readiness = async (replica: number) => JSON.parse((await httpGet(`${replicas[replica]!.url}/readyz`)).body) as { ready: boolean; checks: Record<string, string> };

describe('replicas sharing one Redis', () => {
  it('fetch discovery and the JWKS once for both', async () => {
    const logs = replicas.map((replica) => replica.output()).join('\n');
    expect(authgear.count('/oauth2/jwks'), logs).toBe(1);
    expect(authgear.count('/.well-known/openid-configuration'), logs).toBe(1);
    const token = await authgear.accessToken();
    expect([(await auth(0, { authorization: `Bearer ${token}` })).status, (await auth(1, { authorization: `Bearer ${token}` })).status]).toEqual([200, 200]);
  });

  it('see a key rotation one of them found, without fetching it again', async () => {
    await authgear.rotate();
    const token = await authgear.accessToken();
    expect((await auth(0, { authorization: `Bearer ${token}` })).status).toBe(200);
    expect(authgear.count('/oauth2/jwks')).toBe(2);
    expect((await auth(1, { authorization: `Bearer ${token}` })).status).toBe(200);
    expect(authgear.count('/oauth2/jwks')).toBe(2);
  });

  it('serve a resolver answer one of them got, without a second resolver call', async () => {
    const { value, user } = authgear.sessions.issue('session');
    const before = calls();
    expect(await userOf(0, { cookie: `session=${value}` })).toBe(`200 ${user.id}`);
    // The answer is shared after it is given: wait until Redis holds it, as a second request would in production.
    const key = `authgear-gate:${entryKey(TEST_HMAC_SECRET, 'resolver', credentialKey(authgear.origin, { bearer: undefined, cookies: [{ name: 'session', value }] }))}`;
    await waitFor(async () => (await redisCli(redis.port, 'EXISTS', key)) === '1', 5000, 'the answer to be shared');
    expect(await userOf(1, { cookie: `session=${value}; theme=dark` })).toBe(`200 ${user.id}`);
    expect(calls()).toBe(before + 1);
  });

  it('share refusals too, under their own TTL, keyed by an HMAC and never by the cookie', async () => {
    const { value } = authgear.sessions.issue('session');
    const before = calls();
    expect(await userOf(0, { cookie: 'session=dead-one' })).toBe('401 session_invalid');
    expect(await userOf(0, { cookie: `session=${value}` })).toMatch(/^200 /);
    expect(await userOf(1, { cookie: 'session=dead-one' })).toBe('401 session_invalid');
    expect(calls()).toBe(before + 2);

    const keyOf = (cookie: string) => `authgear-gate:${entryKey(TEST_HMAC_SECRET, 'resolver', credentialKey(authgear.origin, { bearer: undefined, cookies: [{ name: 'session', value: cookie }] }))}`;
    const negativeTtl = Number(await redisCli(redis.port, 'pttl', keyOf('dead-one')));
    expect(negativeTtl).toBeGreaterThan(0);
    expect(negativeTtl).toBeLessThanOrEqual(NEGATIVE_TTL_SECONDS * 1000);
    expect(Number(await redisCli(redis.port, 'pttl', keyOf(value)))).toBeGreaterThan(NEGATIVE_TTL_SECONDS * 1000);
    const everything = `${await redisCli(redis.port, '--scan')}\n${await redisCli(redis.port, 'get', keyOf('dead-one'))}`;
    expect(everything).not.toContain(value);
    expect(everything).not.toContain('dead-one');

    await waitFor(async () => (await redisCli(redis.port, 'exists', keyOf('dead-one'))) === '0', 10_000, 'the refusal to expire');
    expect(await userOf(1, { cookie: 'session=dead-one' })).toBe('401 session_invalid');
    expect(await userOf(1, { cookie: `session=${value}` })).toMatch(/^200 /);
    expect(calls()).toBe(before + 3);
  });

  it('keep answering correctly while Redis is gone, and share again once it is back', async () => {
    const cachedBefore = authgear.sessions.issue('session');
    expect(await userOf(0, { cookie: `session=${cachedBefore.value}` })).toBe(`200 ${cachedBefore.user.id}`);
    await redis.stop('SIGKILL');
    await waitFor(async () => (await readiness(0)).checks.redis !== 'ok', 10_000, 'replica 0 to notice');

    const revoked = authgear.sessions.issue('session');
    authgear.sessions.revoke(revoked.value);
    const fresh = authgear.sessions.issue('bearer');
    for (const replica of [0, 1]) {
      expect(await userOf(replica, { cookie: `session=${cachedBefore.value}` })).toBe(`200 ${cachedBefore.user.id}`);
      expect(await userOf(replica, { authorization: `Bearer ${fresh.value}` })).toBe(`200 ${fresh.user.id}`);
      expect(await userOf(replica, { cookie: `session=${revoked.value}` })).toBe('401 session_invalid');
      expect(await userOf(replica, { authorization: `Bearer ${await authgear.accessToken({ claims: { sub: 'jwt-user' } })}` })).toBe('200 jwt-user');
      const report = await readiness(replica);
      expect(report.ready).toBe(true);
      expect(report.checks.redis).toMatch(/^unavailable/);
    }

    redis = await startRedis({ port: redis.port });
    for (const replica of [0, 1]) await waitFor(async () => (await readiness(replica)).checks.redis === 'ok', 20_000, `replica ${replica} to reconnect`);
    const after = authgear.sessions.issue('session');
    const before = calls();
    expect(await userOf(0, { cookie: `session=${after.value}` })).toBe(`200 ${after.user.id}`);
    expect(await userOf(1, { cookie: `session=${after.value}` })).toBe(`200 ${after.user.id}`);
    expect(calls()).toBe(before + 1);
  });
});
