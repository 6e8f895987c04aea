import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { httpGet, startGateProcess, type Spawned } from '../support/processes.js';
import { valueOf } from '../support/prometheus.js';
import { startRedis, TEST_HMAC_SECRET, type RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

/** The built server's log while its real redis-server is killed, stays away, and comes back. */
let authgear: AuthgearStandIn;
let redis: RedisServer;
let gate: Spawned & { url: string };

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  redis = await startRedis();
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET, LOG_LEVEL: 'info' });
});
afterAll(async () => {
  await gate?.stop();
  await redis?.stop();
  await authgear?.close();
});

const redisLines = () =>
  gate.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; level: number; failedAttempts?: number; downForMs?: number })
    .filter((entry) => /redis/i.test(entry.msg));
const metric = async (name: string, labels: Record<string, string>) => valueOf((await httpGet(`${gate.url}/metrics`)).body, name, labels);
const redisCheck = async () => (JSON.parse((await httpGet(`${gate.url}/readyz`)).body) as { checks: Record<string, string> }).checks.redis;

describe('an outage of Redis in the log', () => {
  it('is one line when the connection is lost and one when it is back, however many retries fail between', async () => {
    await waitFor(async () => (await redisCheck()) === 'ok', 10_000, 'redis to be ready');
    await waitFor(() => redisLines().length >= 1, 5000, 'the ready line');
    expect(redisLines().map((entry) => entry.msg)).toEqual(['redis connection ready']);

    const port = redis.port;
    await redis.stop('SIGKILL');
    // Long enough for ioredis to retry many times (it backs off to 2 s), with traffic meanwhile.
    const failedBefore = await metric('authgear_gate_redis_errors_total', { operation: 'connection' });
    await waitFor(async () => (await metric('authgear_gate_redis_errors_total', { operation: 'connection' })) >= failedBefore + 5, 20_000, 'five failed reconnects');
    const { value } = authgear.sessions.issue('session');
    for (let i = 0; i < 5; i++) expect((await httpGet(`${gate.url}/auth`, { 'x-original-uri': '/', host: 'app.example.test', cookie: `session=${value}` })).status).toBe(200);
    // The log is written asynchronously: wait for a line, then check nothing else came.
    await waitFor(() => redisLines().length >= 2, 5000, 'the lost line');
    expect(redisLines().map((entry) => entry.msg)).toEqual(['redis connection ready', 'redis connection lost, reconnecting']);

    redis = await startRedis({ port });
    await waitFor(async () => (await redisCheck()) === 'ok', 20_000, 'redis to be back');
    await waitFor(() => redisLines().length >= 3, 5000, 'the back line');
    const lines = redisLines();
    expect(lines.map((entry) => entry.msg)).toEqual(['redis connection ready', 'redis connection lost, reconnecting', 'redis connection back']);
    expect(lines.map((entry) => entry.level)).toEqual([30, 40, 30]);
    expect(lines[2]!.failedAttempts).toBeGreaterThanOrEqual(5);
    expect(lines[2]!.downForMs).toBeGreaterThan(1000);
    // Every failure is still counted.
    expect(await metric('authgear_gate_redis_errors_total', { operation: 'connection' })).toBeGreaterThanOrEqual(failedBefore + 5);
    expect(await metric('authgear_gate_redis_state', { state: 'ready' })).toBe(1);
  });
});
