import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryKey, sealEntry } from '../../src/cache/signed-cache.js';
import { credentialKey } from '../../src/resolver/cached-resolver.js';
import { generateSigningKey, RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn, type SigningKey } from '../support/authgear-stand-in.js';
import { httpGet, startGateProcess, type Spawned } from '../support/processes.js';
import { valueOf } from '../support/prometheus.js';
import { redisCli, startRedis, TEST_HMAC_SECRET, type RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';
import { REASON_HEADER } from '../support/answers.js';

/**
 * Someone who can write to Redis (but does not hold REDIS_HMAC_SECRET) plants a key set of
 * their own and session answers for cookies of their choosing, with raw redis commands under
 * the very keys the built server reads. None of it is ever used.
 */
const PREFIX = 'authgear-gate:';
const OTHER_SECRET = randomBytes(32).toString('base64');
/** The signed expiry of planted entries: far enough to be read, as a genuine one would be. */
const FUTURE = Date.now() + 600_000;
let authgear: AuthgearStandIn;
let redis: RedisServer;
let gate: Spawned & { url: string };
let attacker: SigningKey;
let jwksKey: string;

const jwksName = () => `jwks:${authgear.origin}`;
const sessionName = (cookie: string) => credentialKey(authgear.origin, { bearer: undefined, cookies: [{ name: 'session', value: cookie }] });
const plant = async (key: string, text: string) => expect(await redisCli(redis.port, 'set', key, text, 'PX', '600000')).toBe('OK');
/** A key set that parses and validates: only its origin is wrong. */
const forgedKeySet = () => JSON.stringify({ fetchedAt: Date.now() + 600_000, jwks: { keys: [attacker.publicJwk] } });
const FORGED_USER = 'attacker-chosen-admin';
const forgedAnswer = () =>
  JSON.stringify({
    freshUntil: Date.now() + 3_600_000,
    answer: { valid: true, identity: { userId: FORGED_USER, anonymous: false, verified: true, canReauthenticate: true, roles: ['admin'], amr: ['pwd'], authenticatedAt: Math.floor(Date.now() / 1000), extraHeaders: [] } },
  });

const auth = (headers: Record<string, string>) => httpGet(`${gate.url}/auth`, { 'x-original-uri': '/', 'x-original-method': 'GET', host: 'app.example.test', ...headers });
const scrape = async () => (await httpGet(`${gate.url}/metrics`)).body;
const rejected = async (cache: string, reason: string) => valueOf(await scrape(), 'authgear_gate_cache_rejected_total', { cache, reason });
const rejectionLines = () => gate.output().split('\n').filter((line) => line.includes('failed authentication'));

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  redis = await startRedis();
  attacker = await generateSigningKey();
  jwksKey = PREFIX + entryKey(TEST_HMAC_SECRET, 'keys', jwksName());
  // Planted before the sidecar starts: its start-up load reads the shared key set first.
  await plant(jwksKey, forgedKeySet());
  gate = await startGateProcess({
    AUTHGEAR_ENDPOINT: authgear.origin,
    REDIS_URL: redis.url,
    REDIS_HMAC_SECRET: TEST_HMAC_SECRET,
    REDIS_TIMEOUT_MS: '2000',
    // Every session request reads Redis, so every planted answer is read.
    RESOLVER_LOCAL_TTL_SECONDS: '0',
    JWKS_MISS_COOLDOWN_SECONDS: '1',
    LOG_LEVEL: 'info',
  });
});
afterAll(async () => {
  await gate?.stop();
  await redis?.stop();
  await authgear?.close();
});

describe('a key set planted in Redis', () => {
  it('is refused at start-up: the keys come from Authgear, and a token signed by the planted key is refused', async () => {
    expect(authgear.count('/oauth2/jwks'), gate.output()).toBe(1);
    // Read before taking the fetch lock and again after: refused both times.
    expect(await rejected('keys', 'unsigned')).toBe(2);
    expect((await auth({ authorization: `Bearer ${await authgear.accessToken({ key: attacker })}` })).headers[REASON_HEADER]).toBe('unknown_key');
    expect((await auth({ authorization: `Bearer ${await authgear.accessToken()}` })).status).toBe(200);
  });

  it.each<[string, () => string, string]>([
    ['unsigned', () => forgedKeySet(), 'unsigned'],
    ['signed with another secret', () => sealEntry(OTHER_SECRET, 'keys', jwksName(), forgedKeySet(), FUTURE), 'bad_signature'],
    // What a project sharing this Redis and secret legitimately stores for its own keys.
    ['validly signed for another project, copied here', () => sealEntry(TEST_HMAC_SECRET, 'keys', 'jwks:https://attacker.example', forgedKeySet(), FUTURE), 'bad_signature'],
    ['validly signed as a resolver answer', () => sealEntry(TEST_HMAC_SECRET, 'resolver', jwksName(), forgedKeySet(), FUTURE), 'bad_signature'],
  ])('is refused when a token with an unknown kid makes the sidecar look (%s)', async (_name, forge, reason) => {
    const before = await rejected('keys', reason);
    const fetchesBefore = authgear.count('/oauth2/jwks');
    await plant(jwksKey, forge());
    const token = await authgear.accessToken({ key: attacker });
    // Asked again until the sidecar's refetch cooldown lets the unknown kid reach the loader.
    await waitFor(async () => {
      const answer = await auth({ authorization: `Bearer ${token}` });
      expect(answer.status).toBe(401);
      expect(answer.headers[REASON_HEADER]).toBe('unknown_key');
      return (await rejected('keys', reason)) > before;
    }, 10_000, 'the planted key set to be read');
    expect(authgear.count('/oauth2/jwks')).toBe(fetchesBefore + 1);
    expect((await auth({ authorization: `Bearer ${token}` })).status).toBe(401);
    expect((await auth({ authorization: `Bearer ${await authgear.accessToken()}` })).status).toBe(200);
  });
});

describe('a session answer planted in Redis', () => {
  const victim = () => authgear.sessions.issue('session');

  it.each<[string, (cookie: string) => Promise<string>, string]>([
    ['unsigned', async () => forgedAnswer(), 'unsigned'],
    ['signed with another secret', async (cookie) => sealEntry(OTHER_SECRET, 'resolver', sessionName(cookie), forgedAnswer(), FUTURE), 'bad_signature'],
    ['validly signed as a key set', async (cookie) => sealEntry(TEST_HMAC_SECRET, 'keys', sessionName(cookie), forgedAnswer(), FUTURE), 'bad_signature'],
    ['a real user\'s signed answer, copied under the attacker\'s cookie', async () => {
      const { value, user } = victim();
      expect((await auth({ cookie: `session=${value}` })).headers['x-authgear-user-id']).toBe(user.id);
      const stored = await redisCli(redis.port, 'get', PREFIX + entryKey(TEST_HMAC_SECRET, 'resolver', sessionName(value)));
      expect(stored).toContain(user.id);
      return stored!;
    }, 'bad_signature'],
  ])('is never served for the cookie it names (%s): Authgear is asked', async (_name, forge, reason) => {
    const cookie = `forged-${randomBytes(8).toString('hex')}`;
    const text = await forge(cookie);
    await plant(PREFIX + entryKey(TEST_HMAC_SECRET, 'resolver', sessionName(cookie)), text);
    const before = await rejected('resolver', reason);
    const calls = authgear.count(RESOLVE_PATH);
    const answer = await auth({ cookie: `session=${cookie}` });
    expect(answer.status).toBe(401);
    expect(answer.headers[REASON_HEADER]).toBe('session_invalid');
    expect(answer.headers['x-authgear-user-id']).toBeUndefined();
    expect(authgear.count(RESOLVE_PATH)).toBe(calls + 1);
    expect(await rejected('resolver', reason)).toBe(before + 1);
  });

  it('cannot even be aimed without the secret: no Redis key shows a credential or its hash', async () => {
    const { value } = victim();
    await auth({ cookie: `session=${value}` });
    const keys = (await redisCli(redis.port, '--scan'))!.split('\n');
    expect(keys.length).toBeGreaterThan(1);
    for (const key of keys) expect(key).toMatch(/^authgear-gate:(resolver|keys):[A-Za-z0-9_-]{43}$/);
    const everything = keys.join('\n');
    expect(everything).not.toContain(sessionName(value).slice('resolve:'.length));
    expect(everything).not.toContain(value);
    expect(everything).not.toContain(new URL(authgear.origin).host);
  });
});

describe('what the sidecar says about it', () => {
  it('counts every rejected entry in /metrics and logs each cache once, with no key or value in the line', async () => {
    const text = await scrape();
    expect(valueOf(text, 'authgear_gate_cache_rejected_total', { cache: 'keys', reason: 'unsigned' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(text, 'authgear_gate_cache_rejected_total', { cache: 'keys', reason: 'bad_signature' })).toBeGreaterThanOrEqual(3);
    expect(valueOf(text, 'authgear_gate_cache_rejected_total', { cache: 'resolver', reason: 'unsigned' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_cache_rejected_total', { cache: 'resolver', reason: 'bad_signature' })).toBe(3);

    // The log is written asynchronously: wait for the lines, then check there are no more.
    await waitFor(() => rejectionLines().length >= 2, 5000, 'the rejection lines');
    const lines = rejectionLines();
    expect(lines.map((line) => JSON.parse(line) as { cache: string; rejected: number; level: number })).toEqual([
      expect.objectContaining({ cache: 'keys', rejected: 1, reason: 'unsigned', level: 40 }),
      expect.objectContaining({ cache: 'resolver', rejected: 1, reason: 'unsigned', level: 40 }),
    ]);
    const log = gate.output();
    for (const secret of [TEST_HMAC_SECRET, OTHER_SECRET, FORGED_USER, attacker.kid, jwksKey.slice(PREFIX.length + 'keys:'.length), 'forged-']) {
      expect(log).not.toContain(secret);
    }
  });
});
