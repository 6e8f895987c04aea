import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics/metrics.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { freePort, httpGet, REPO, startGateProcess } from '../support/processes.js';
import { KNOWN_LINT_FINDINGS, promtoolCheck, valueOf } from '../support/prometheus.js';

let authgear: AuthgearStandIn;
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const nodeVersion = process.version;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
});
afterAll(async () => {
  await authgear.close();
});

describe('the metrics API for resolver and Redis callers', () => {
  it('exposes every method with bounded labels; unknown values become "other"', async () => {
    const metrics = createMetrics();
    metrics.cacheLookup('resolver', 'redis', 'hit');
    metrics.cacheLookup('resolver', 'memory', 'miss');
    metrics.serveStale('resolver');
    metrics.redisError('get');
    metrics.redisState('reconnecting');
    metrics.redisState('ready');
    metrics.upstreamCall({ upstream: 'resolver', outcome: 'timeout', durationMs: 2000 });
    metrics.upstreamLoad('resolver', 3, 7);
    metrics.decision({ status: 200, code: 'allowed', via: 'resolver', durationMs: 1.5 });
    // Values outside the lists, as a careless caller could pass at run time:
    metrics.decision({ status: 401, code: 'made_up_reason', via: 'made_up_via', durationMs: 0.1 });
    metrics.cacheLookup('resolver', 'disk' as never, 'hit');
    const text = await metrics.text();
    expect(valueOf(text, 'authgear_gate_cache_lookups_total', { cache: 'resolver', layer: 'redis', outcome: 'hit' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_cache_lookups_total', { cache: 'resolver', layer: 'other', outcome: 'hit' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_stale_answers_total', { source: 'resolver' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_redis_errors_total', { operation: 'get' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_redis_state', { state: 'ready' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_redis_state', { state: 'reconnecting' })).toBe(0);
    expect(valueOf(text, 'authgear_gate_upstream_errors_total', { upstream: 'resolver', outcome: 'timeout' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_upstream_in_flight', { client: 'resolver' })).toBe(3);
    expect(valueOf(text, 'authgear_gate_upstream_queued', { client: 'resolver' })).toBe(7);
    expect(valueOf(text, 'authgear_gate_decisions_total', { result: 'allow', via: 'resolver' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_decisions_total', { result: 'deny', reason: 'other', via: 'other' })).toBe(1);
    expect(text).not.toContain('made_up');
    expect(valueOf(text, 'authgear_gate_build_info', { version, node_version: nodeVersion })).toBe(1);
    // Every metric populated, no process metrics: promtool has nothing to say.
    expect(promtoolCheck(text)).toEqual({ status: 0, findings: [] });
  });
});

describe('authgear_gate_build_info', () => {
  it("says which version runs on which Node: package.json's unless told otherwise", async () => {
    const samples = (text: string) => text.split('\n').filter((line) => line.startsWith('authgear_gate_build_info'));
    expect(samples(await createMetrics().text())).toEqual([`authgear_gate_build_info{version="${version}",node_version="${nodeVersion}"} 1`]);
    expect(samples(await createMetrics({ version: '9.8.7-rc.1' }).text())).toEqual([`authgear_gate_build_info{version="9.8.7-rc.1",node_version="${nodeVersion}"} 1`]);
  });
});

describe('the real process', () => {
  it('serves /metrics only on METRICS_PORT, with process metrics, and passes promtool check metrics', async () => {
    const metricsPort = await freePort();
    const process = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, METRICS_PORT: String(metricsPort) });
    try {
      await httpGet(`${process.url}/auth`, { authorization: `Bearer ${await authgear.accessToken()}` });
      await httpGet(`${process.url}/auth`);
      expect((await httpGet(`${process.url}/metrics`)).status).toBe(404);
      expect((await httpGet(`http://127.0.0.1:${metricsPort}/auth`)).status).toBe(404);
      const scraped = await httpGet(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(scraped.status).toBe(200);
      expect(valueOf(scraped.body, 'authgear_gate_decisions_total', { result: 'allow', reason: 'allowed', via: 'jwt' })).toBe(1);
      expect(valueOf(scraped.body, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      // Read from package.json by the built dist/, not only from src/ under vitest.
      expect(valueOf(scraped.body, 'authgear_gate_build_info', { version, node_version: nodeVersion })).toBe(1);
      expect(valueOf(scraped.body, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
      const check = promtoolCheck(scraped.body);
      // 3 = lint findings only; the findings must be exactly the known, explained ones.
      expect([0, 3]).toContain(check.status);
      expect(check.findings.filter((finding) => !KNOWN_LINT_FINDINGS.includes(finding))).toEqual([]);
    } finally {
      await process.stop();
    }
  });

  it('fails promtool on broken text, so the check above can fail', () => {
    expect(promtoolCheck('# TYPE x counter\nx{a="1" 1\n').status).not.toBe(0);
    expect(promtoolCheck('# HELP bad_total A gauge.\n# TYPE bad_total gauge\nbad_total 1\n')).toEqual({ status: 3, findings: ['bad_total non-counter metrics should not have "_total" suffix'] });
  });
});
