import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { httpGet, startGateProcess, type Spawned } from '../support/processes.js';
import { valueOf } from '../support/prometheus.js';
import { startRedis, TEST_HMAC_SECRET } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

let authgear: AuthgearStandIn;
let gate: (Spawned & { url: string }) | undefined;

beforeEach(async () => {
  authgear = await startAuthgearStandIn();
});
afterEach(async () => {
  await gate?.stop('SIGKILL');
  gate = undefined;
  await authgear.close();
});

const start = async (env: Record<string, string> = {}) => {
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, LOG_LEVEL: 'info', ...env });
  return gate;
};

/** Requests that are stuck in a slow JWKS refetch when this returns: a rotated key's tokens. */
async function slowRequestsInFlight(url: string, count: number, delayMs: number) {
  await authgear.rotate();
  const token = await authgear.accessToken();
  authgear.setState('up', delayMs);
  const jwksBefore = authgear.count('/oauth2/jwks');
  const answers = Array.from({ length: count }, () => httpGet(`${url}/auth`, { authorization: `Bearer ${token}` }).catch((error: Error) => error));
  await waitFor(() => authgear.count('/oauth2/jwks') > jwksBefore, 10_000, 'the JWKS refetch to reach Authgear');
  await inFlight(url, count);
  return answers;
}

/** Waits until the sidecar itself holds `count` /auth requests, none still connecting. */
async function inFlight(url: string, count: number) {
  await waitFor(async () => valueOf((await httpGet(`${url}/metrics`)).body, 'authgear_gate_auth_requests_in_flight') === count, 10_000, `${count} requests in flight`);
}

const exitOf = (spawned: Spawned) =>
  new Promise<{ code: number | null; at: number }>((resolve) => {
    if (spawned.process.exitCode !== null) resolve({ code: spawned.process.exitCode, at: Date.now() });
    spawned.process.on('exit', (code) => resolve({ code, at: Date.now() }));
  });

describe('SIGTERM', () => {
  it('lets in-flight requests finish (a slow key refetch), closes keep-alive connections and exits 0', async () => {
    const { url, process: child } = await start({ SHUTDOWN_TIMEOUT_SECONDS: '20' });
    // An idle keep-alive connection, as nginx holds dozens: it must not hold the exit back.
    const agent = new http.Agent({ keepAlive: true });
    await new Promise((resolve) => http.get(`${url}/healthz`, { agent }, (res) => res.resume().on('end', resolve)));
    await waitFor(() => Object.keys(agent.freeSockets).length > 0, 5000, 'the keep-alive socket to be idle');

    const answers = await slowRequestsInFlight(url, 5, 1500);
    const exited = exitOf(gate!);
    const signalledAt = Date.now();
    child.kill('SIGTERM');

    const results = await Promise.all(answers);
    expect(results.map((result) => (result instanceof Error ? result.message : result.status))).toEqual([200, 200, 200, 200, 200]);
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(10_000);
    expect(gate!.output()).toContain('shut down cleanly');
    agent.destroy();
  });

  it('lets slow resolver calls finish with Redis configured, exiting 0 without complaint', async () => {
    const redis = await startRedis();
    try {
      const { url, process: child } = await start({ REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET, RESOLVER_TIMEOUT_MS: '8000', SHUTDOWN_TIMEOUT_SECONDS: '20' });
      const cookies = Array.from({ length: 4 }, () => `app_session=${authgear.sessions.issue('app_session').value}`);
      authgear.setState('up', 1500);
      const answers = cookies.map((cookie) => httpGet(`${url}/auth`, { cookie }).catch((error: Error) => error));
      await inFlight(url, 4);
      const exited = exitOf(gate!);
      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const results = await Promise.all(answers);
      expect(results.map((result) => (result instanceof Error ? result.message : result.status))).toEqual([200, 200, 200, 200]);
      const { code, at } = await exited;
      expect(code).toBe(0);
      expect(at - signalledAt).toBeLessThan(10_000);
      expect(gate!.output()).toContain('redis connection ready');
      expect(gate!.output()).not.toMatch(/"level":(40|50)/);
    } finally {
      await redis.stop();
    }
  });

  it('answers /readyz 503 during the pre-stop delay while /auth keeps answering, then exits 0', async () => {
    const { url, process: child } = await start({ SHUTDOWN_DELAY_SECONDS: '2', SHUTDOWN_TIMEOUT_SECONDS: '20' });
    expect((await httpGet(`${url}/readyz`)).status).toBe(200);
    const exited = exitOf(gate!);
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    await waitFor(async () => (await httpGet(`${url}/readyz`)).status === 503, 5000, '/readyz to turn 503');
    const readiness = await httpGet(`${url}/readyz`);
    expect(JSON.parse(readiness.body)).toMatchObject({ ready: false, checks: { shutdown: 'draining' } });
    const token = await authgear.accessToken();
    expect((await httpGet(`${url}/auth`, { authorization: `Bearer ${token}` })).status).toBe(200);
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeGreaterThanOrEqual(1900);
    expect(at - signalledAt).toBeLessThan(12_000);
  });

  it('exits 1 at the shutdown timeout when a request is still stuck', async () => {
    const { url, process: child } = await start({ SHUTDOWN_TIMEOUT_SECONDS: '2', UPSTREAM_TIMEOUT_MS: '30000' });
    const answers = await slowRequestsInFlight(url, 1, 25_000);
    const exited = exitOf(gate!);
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    expect(code).toBe(1);
    expect(at - signalledAt).toBeGreaterThanOrEqual(1900);
    expect(at - signalledAt).toBeLessThan(8000);
    expect((await answers[0]) instanceof Error).toBe(true);
    expect(gate!.output()).toContain('shutdown timed out');
  });

  it('exits at once on a second signal', async () => {
    const { url, process: child } = await start({ SHUTDOWN_TIMEOUT_SECONDS: '60', UPSTREAM_TIMEOUT_MS: '30000' });
    const answers = await slowRequestsInFlight(url, 1, 25_000);
    const exited = exitOf(gate!);
    child.kill('SIGTERM');
    await waitFor(() => gate!.output().includes('shutting down'), 5000, 'the first signal to be handled');
    const secondAt = Date.now();
    child.kill('SIGINT');
    const { code, at } = await exited;
    expect(code).toBe(1);
    expect(at - secondAt).toBeLessThan(3000);
    expect(gate!.output()).toContain('second signal');
    await answers[0];
  });
});
