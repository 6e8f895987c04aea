import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn, type SigningKey } from '../support/authgear-stand-in.js';
import { httpGet, startGateProcess, type Spawned } from '../support/processes.js';
import { startRedis, TEST_HMAC_SECRET, type RedisServer } from '../support/redis.js';
import { REASON_HEADER } from '../support/answers.js';

/**
 * Key rotation as an operator meets it: two replicas of the built server sharing their key set
 * through a real Redis, the default cooldown (at most 30 s), the real clock, over /auth.
 */
let authgear: AuthgearStandIn;
let redis: RedisServer;
let replicas: Array<Spawned & { url: string }>;
let stranger: SigningKey;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  redis = await startRedis();
  stranger = await authgear.newUnpublishedKey();
  const env = { AUTHGEAR_ENDPOINT: authgear.origin, REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET, REDIS_TIMEOUT_MS: '2000' };
  replicas = await Promise.all([startGateProcess(env), startGateProcess(env)]);
});
afterAll(async () => {
  for (const replica of replicas ?? []) await replica.stop();
  await redis?.stop();
  await authgear?.close();
});

const auth = async (replica: number, token: string) => {
  const answer = await httpGet(`${replicas[replica]!.url}/auth`, { 'x-original-uri': '/', host: 'app.example.test', authorization: `Bearer ${token}` });
  return answer.status === 200 ? 'allowed' : String(answer.headers[REASON_HEADER]);
};
const strayToken = () => authgear.accessToken({ key: { ...stranger, kid: crypto.randomUUID() } });
const jwksFetches = () => authgear.count('/oauth2/jwks');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks every 100 ms until the token passes; the ms that took, or Infinity past the limit. */
async function msUntilAccepted(replica: number, token: string, since: number, limitMs = 10_000): Promise<number> {
  while ((await auth(replica, token)) !== 'allowed') {
    if (Date.now() - since > limitMs) return Infinity;
    await sleep(100);
  }
  return Date.now() - since;
}

describe('replicas sharing their key set through Redis', () => {
  it('take a rotated key within 5 s after a stray unknown kid on each', async () => {
    expect(await auth(0, await strayToken())).toBe('unknown_key');
    expect(await auth(1, await strayToken())).toBe('unknown_key');
    await authgear.rotate();
    const rotatedAt = Date.now();
    const token = await authgear.accessToken();
    const waited = await Promise.all([msUntilAccepted(0, token, rotatedAt), msUntilAccepted(1, token, rotatedAt)]);
    expect(Math.max(...waited), `waited ${waited.join(', ')} ms`).toBeLessThanOrEqual(5000);
    expect(await auth(0, await authgear.accessToken({ key: authgear.keys[1]! }))).toBe('allowed');
  });

  it('fetch the JWKS at most 3 times for a flood of 50 random kids over both', async () => {
    const before = jwksFetches();
    const tokens = await Promise.all(Array.from({ length: 50 }, strayToken));
    const answers = await Promise.all(tokens.map((token, index) => auth(index % 2, token)));
    expect(answers).toEqual(tokens.map(() => 'unknown_key'));
    expect(jwksFetches() - before).toBeLessThanOrEqual(3);
  });

  it('keep a flood going for 4 s to the cooldown schedule (at most 0, 1 and 3 s on each)', async () => {
    const before = jwksFetches();
    const tokens = await Promise.all(Array.from({ length: 20 }, strayToken));
    const until = Date.now() + 4000;
    for (let step = 0; Date.now() < until; step++) {
      await Promise.all(tokens.slice((step * 4) % 20, (step * 4) % 20 + 4).map((token, index) => auth(index % 2, token)));
      await sleep(50);
    }
    expect(jwksFetches() - before).toBeLessThanOrEqual(6);
  });
});
