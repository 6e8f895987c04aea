import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { parseSamples, valueOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait-for.js';
import { REASON_HEADER } from '../support/answers.js';

let authgear: AuthgearStandIn;
let gate: TestGate;
let nowMs: number;

beforeAll(async () => {
  nowMs = Date.now();
  authgear = await startAuthgearStandIn();
  authgear.setClock(() => Math.floor(nowMs / 1000));
  gate = await startTestGate(authgear, { JWKS_MISS_COOLDOWN_SECONDS: '10', JWKS_REFRESH_SECONDS: '60' }, { now: () => nowMs });
});
afterAll(async () => {
  await gate.close();
  await authgear.close();
});

const scrape = async () => {
  const response = await gate.request('/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

/** How much each listed sample moved while `traffic` ran. */
async function deltas(traffic: () => Promise<void>, watched: Array<[string, Record<string, string>]>): Promise<number[]> {
  const before = await scrape();
  await traffic();
  const after = await scrape();
  return watched.map(([name, labels]) => valueOf(after, name, labels) - valueOf(before, name, labels));
}

describe('metrics after known traffic', () => {
  it('counts allows and denials by result, reason and via, with sub-millisecond latency buckets', async () => {
    const token = await authgear.accessToken();
    const moved = await deltas(
      async () => {
        for (let i = 0; i < 3; i++) expect((await gate.auth(bearer(token))).status).toBe(200);
        for (let i = 0; i < 2; i++) expect((await gate.auth()).status).toBe(401);
        expect((await gate.auth(bearer(await authgear.accessToken({ expiresIn: -3600 })))).status).toBe(401);
      },
      [
        ['authgear_gate_decisions_total', { result: 'allow', reason: 'allowed', via: 'jwt' }],
        ['authgear_gate_decisions_total', { result: 'deny', reason: 'credentials_missing', via: 'none' }],
        ['authgear_gate_decisions_total', { result: 'deny', reason: 'token_expired', via: 'none' }],
        ['authgear_gate_decision_duration_seconds_count', { result: 'allow', via: 'jwt' }],
        ['authgear_gate_decision_duration_seconds_count', { result: 'deny', via: 'none' }],
        ['authgear_gate_cache_lookups_total', { cache: 'token', layer: 'memory', outcome: 'hit' }],
        ['authgear_gate_cache_lookups_total', { cache: 'token', layer: 'memory', outcome: 'miss' }],
      ],
    );
    // 3 allows of one token: 1 miss then 2 hits; the expired token is one more miss.
    expect(moved).toEqual([3, 2, 1, 3, 3, 2, 2]);
    const text = await scrape();
    // Back to zero once answered (the shutdown test shows it counting requests in flight).
    expect(parseSamples(text).find((s) => s.name === 'authgear_gate_auth_requests_in_flight')?.value).toBe(0);
    const buckets = parseSamples(text).filter((s) => s.name === 'authgear_gate_decision_duration_seconds_bucket' && s.labels.result === 'allow');
    expect(buckets.map((s) => s.labels.le)).toEqual(expect.arrayContaining(['0.00005', '0.0001', '0.00025', '0.0005', '0.001', '1', '+Inf']));
  });

  it('counts key loads and Authgear calls by reason and outcome, including failures', async () => {
    const startup = await scrape();
    expect(valueOf(startup, 'authgear_gate_jwks_fetches_total', { reason: 'startup', outcome: 'success' })).toBe(1);
    expect(valueOf(startup, 'authgear_gate_upstream_duration_seconds_count', { upstream: 'discovery', outcome: 'success' })).toBe(1);

    await authgear.rotate();
    const rotated = await deltas(
      async () => { expect((await gate.auth(bearer(await authgear.accessToken()))).status).toBe(200); },
      [
        ['authgear_gate_jwks_fetches_total', { reason: 'unknown_kid', outcome: 'success' }],
        ['authgear_gate_upstream_duration_seconds_count', { upstream: 'jwks', outcome: 'success' }],
      ],
    );
    expect(rotated).toEqual([1, 1]);

    authgear.setState('down');
    await authgear.rotate();
    nowMs += 11_000;
    const failed = await deltas(
      async () => {
        const response = await gate.auth(bearer(await authgear.accessToken()));
        expect(response.headers.get(REASON_HEADER)).toBe('unknown_key');
      },
      [
        ['authgear_gate_jwks_fetches_total', { reason: 'unknown_kid', outcome: 'failure' }],
        ['authgear_gate_upstream_errors_total', { upstream: 'jwks', outcome: 'network_error' }],
        ['authgear_gate_decisions_total', { result: 'deny', reason: 'unknown_key', via: 'none' }],
      ],
    );
    expect(failed).toEqual([1, 1, 1]);
  });

  it('counts answers given with keys whose refresh failed (serve-stale)', async () => {
    authgear.setState('down');
    nowMs += 61_000;
    const token = await authgear.accessToken({ key: authgear.keys[1]! });
    const before = await scrape();
    expect((await gate.auth(bearer(token))).status).toBe(200);
    await waitFor(async () => valueOf(await scrape(), 'authgear_gate_jwks_fetches_total', { reason: 'refresh', outcome: 'failure' }) === 1);
    expect((await gate.auth(bearer(await authgear.accessToken({ key: authgear.keys[1]! })))).status).toBe(200);
    const after = await scrape();
    expect(valueOf(after, 'authgear_gate_stale_answers_total', { source: 'keys' }) - valueOf(before, 'authgear_gate_stale_answers_total', { source: 'keys' })).toBe(1);
    authgear.setState('up');
  });

  it('counts a fail-closed 503 as unavailable', async () => {
    const down = await startAuthgearStandIn();
    down.setState('down');
    const waiting = await startTestGate(down, {}, { start: false });
    expect((await waiting.auth(bearer(await down.accessToken()))).status).toBe(503);
    const text = await (await waiting.request('/metrics')).text();
    expect(valueOf(text, 'authgear_gate_decisions_total', { result: 'unavailable', reason: 'keys_unavailable', via: 'none' })).toBe(1);
    await waiting.close();
    await down.close();
  });

  it('never turns request data into a label value', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-zq81c' } });
    await gate.auth({ ...bearer(token), 'x-original-uri': '/path-zq81c?q=zq81c', 'x-request-id': 'req-zq81c' });
    await gate.auth({ authorization: 'Bearer zq81c.zq81c.zq81c' });
    expect(await scrape()).not.toContain('zq81c');
  });
});

describe('every outcome under its own reason', () => {
  it('counts public routes, CORS preflights and login callbacks by name, never as "other"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authgear-gate-outcomes-'));
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, 'default: { allow_cors_preflight: true }\nrules:\n  - match: { path_prefix: /public/ }\n    access: public\n');
    const outcomes = await startTestGate(authgear, {
      POLICY_FILE: policyFile,
      LOGIN_REDIRECT_URI: 'https://app.example.test/callback',
      CLIENT_IDS: 'test-client',
    });
    try {
      const ask = (headers: Record<string, string>) => outcomes.auth({ 'x-original-host': 'app.example.test', ...headers });
      expect((await ask({ 'x-original-uri': '/public/a' })).status).toBe(200);
      expect((await ask({ 'x-original-uri': '/api', 'x-original-method': 'OPTIONS', 'access-control-request-method': 'GET' })).status).toBe(200);
      const state = encodeURIComponent('https://app.example.test/orders');
      expect((await ask({ 'x-original-uri': `/callback?state=${state}` })).headers.get('location')).toBe('https://app.example.test/orders');
      const text = await (await outcomes.request('/metrics')).text();
      for (const reason of ['public', 'cors_preflight', 'login_callback']) {
        expect(parseSamples(text).filter((sample) => sample.name === 'authgear_gate_decisions_total' && sample.labels.reason === reason), reason).toHaveLength(1);
      }
      expect(text).not.toMatch(/authgear_gate_decisions_total\{[^}]*reason="other"/);
    } finally {
      await outcomes.close();
    }
  });
});
