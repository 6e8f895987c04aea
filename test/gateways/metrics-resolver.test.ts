import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate, type TestGate } from '../support/gate.js';
import { valueOf } from '../support/prometheus.js';
import { startRedis, TEST_HMAC_SECRET, type RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

/** The resolver and Redis observers, as metrics, against a real redis-server. */
let authgear: AuthgearStandIn;
let redis: RedisServer;
let gate: TestGate;
let nowMs = Date.now();

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  redis = await startRedis();
  gate = await startTestGate(
    authgear,
    { REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET, REDIS_KEY_PREFIX: `m${Math.random()}:`, REDIS_TIMEOUT_MS: '2000', RESOLVER_SERVE_STALE_SECONDS: '600' },
    { now: () => nowMs },
  );
});
afterAll(async () => {
  await gate.close();
  await redis.stop();
  await authgear.close();
});

const scrape = async () => (await gate.request('/metrics')).text();
const session = (value: string) => ({ cookie: `app_session=${value}` });

describe('resolver and Redis metrics', () => {
  it('count cache lookups per layer, resolver calls and decisions via the resolver', async () => {
    const { value } = authgear.sessions.issue('app_session');
    expect((await gate.auth(session(value))).status).toBe(200);
    expect((await gate.auth(session(value))).status).toBe(200);
    const text = await scrape();
    expect(valueOf(text, 'authgear_gate_redis_state', { state: 'ready' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_cache_lookups_total', { cache: 'resolver', layer: 'memory', outcome: 'miss' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_cache_lookups_total', { cache: 'resolver', layer: 'redis', outcome: 'miss' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_cache_lookups_total', { cache: 'resolver', layer: 'memory', outcome: 'hit' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_upstream_duration_seconds_count', { upstream: 'resolver', outcome: 'success' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_decisions_total', { result: 'allow', reason: 'allowed', via: 'resolver' })).toBe(2);
    expect(authgear.count(RESOLVE_PATH)).toBe(1);
  });

  it('count a stale answer served while the resolver is down, and the failed call', async () => {
    const { value } = authgear.sessions.issue('app_session');
    expect((await gate.auth(session(value))).status).toBe(200);
    authgear.setState('down');
    nowMs += 120_000;
    const response = await gate.auth(session(value));
    authgear.setState('up');
    expect(response.status).toBe(200);
    const text = await scrape();
    expect(valueOf(text, 'authgear_gate_stale_answers_total', { source: 'resolver' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_upstream_errors_total', { upstream: 'resolver', outcome: 'network_error' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_decisions_total', { result: 'allow', via: 'resolver_stale' })).toBe(1);
  });

  it('follow Redis going away and coming back: state, connection errors, fallbacks', async () => {
    const port = redis.port;
    await redis.stop('SIGKILL');
    await waitFor(async () => valueOf(await scrape(), 'authgear_gate_redis_state', { state: 'ready' }) === 0, 10_000, 'redis to be seen as lost');
    const { value } = authgear.sessions.issue('app_session');
    expect((await gate.auth(session(value))).status).toBe(200);
    // The request fell back to Authgear: its Redis lookup and write count as errors.
    const down = await scrape();
    expect(valueOf(down, 'authgear_gate_redis_errors_total', { operation: 'get' })).toBeGreaterThan(0);
    expect(valueOf(down, 'authgear_gate_cache_lookups_total', { cache: 'resolver', layer: 'redis', outcome: 'error' })).toBeGreaterThan(0);
    await waitFor(async () => valueOf(await scrape(), 'authgear_gate_redis_errors_total', { operation: 'connection' }) > 0, 10_000, 'a failed reconnect');

    redis = await startRedis({ port });
    await waitFor(async () => valueOf(await scrape(), 'authgear_gate_redis_state', { state: 'ready' }) === 1, 15_000, 'redis to be ready again');
  });
});
