import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/errors.js';
import { createUpstreamClient, type UpstreamCall, type UpstreamClientOptions } from '../../src/upstream/http-client.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate } from '../support/gate.js';
import { REASON_HEADER } from '../support/answers.js';

let authgear: AuthgearStandIn;
let calls: UpstreamCall[];
let maxSeenInFlight: number;

beforeEach(async () => {
  authgear = await startAuthgearStandIn();
  calls = [];
  maxSeenInFlight = 0;
});
afterEach(async () => {
  await authgear.close();
});

function client(options: Partial<UpstreamClientOptions>) {
  return createUpstreamClient({
    baseUrl: authgear.url,
    publicOrigin: authgear.origin,
    timeoutMs: 5000,
    maxInFlight: 32,
    maxQueued: 256,
    observer: {
      onCall: (call) => calls.push(call),
      onLoad: (inFlight) => { maxSeenInFlight = Math.max(maxSeenInFlight, inFlight); },
    },
    ...options,
  });
}

const discovery = (c: ReturnType<typeof client>) =>
  c.request('discovery', { path: '/.well-known/openid-configuration' }).then(
    (response) => response.status,
    (error: unknown) => error,
  );

describe('calls to Authgear', () => {
  it('never have more than maxInFlight open; a full queue fails at once with an UpstreamError', async () => {
    const c = client({ maxInFlight: 2, maxQueued: 2 });
    authgear.setState('up', 400);
    const started = Date.now();
    const pending = Array.from({ length: 6 }, () => discovery(c));
    const results = await Promise.all(pending);
    expect(results.filter((result) => result === 200)).toHaveLength(4);
    const refused = results.filter((result) => result instanceof UpstreamError);
    expect(refused).toHaveLength(2);
    expect(calls.filter((call) => call.outcome === 'overloaded').every((call) => call.durationMs < 100)).toBe(true);
    expect(authgear.maxInFlight()).toBe(2);
    expect(maxSeenInFlight).toBe(2);
    // two rounds of 400 ms, not one wave of six
    expect(Date.now() - started).toBeGreaterThanOrEqual(750);
    c.close();
  });

  it('time out after timeoutMs, and so does a call still queued at its deadline', async () => {
    const c = client({ timeoutMs: 300, maxInFlight: 1, maxQueued: 5 });
    authgear.setState('up', 5000);
    const started = Date.now();
    const results = await Promise.all([discovery(c), discovery(c), discovery(c)]);
    const took = Date.now() - started;
    expect(results.every((result) => result instanceof UpstreamError && result.code === 'upstream_failed')).toBe(true);
    expect(calls.map((call) => call.outcome)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(took).toBeLessThan(2500);
    expect(authgear.maxInFlight()).toBe(1);
    c.close();
  });

  it('report network errors and non-2xx answers as such', async () => {
    const c = client({});
    authgear.setState('error');
    expect(await discovery(c)).toBe(500);
    authgear.setState('down');
    expect(await discovery(c)).toBeInstanceOf(UpstreamError);
    expect(calls.map((call) => [call.outcome, call.status])).toEqual([['http_error', 500], ['network_error', undefined]]);
    c.close();
  });

  it('refuse an answer larger than maxBodyBytes', async () => {
    const c = client({ maxBodyBytes: 1000 });
    authgear.handlers.set('/.well-known/openid-configuration', (_req, res) => res.end('x'.repeat(100_000)));
    expect(await discovery(c)).toBeInstanceOf(UpstreamError);
    expect(calls.map((call) => call.outcome)).toEqual(['too_large']);
    c.close();
  });
});

describe('resolver calls under an Authgear slowdown', () => {
  it('fail closed at once beyond the in-flight limit and the queue, instead of piling up', async () => {
    const gate = await startTestGate(authgear, { UPSTREAM_MAX_IN_FLIGHT: '2', UPSTREAM_MAX_QUEUED: '1', RESOLVER_TIMEOUT_MS: '5000' });
    const cookies = Array.from({ length: 8 }, () => `app_session=${authgear.sessions.issue('app_session').value}`);
    authgear.setState('up', 400);
    const answers = await Promise.all(cookies.map((cookie) => gate.auth({ cookie })));
    const statuses = answers.map((answer) => `${answer.status} ${answer.headers.get(REASON_HEADER) ?? ''}`.trim());
    expect(statuses.sort()).toEqual([...Array(3).fill('200'), ...Array(5).fill('503 resolver_unavailable')]);
    expect(authgear.maxInFlight()).toBeLessThanOrEqual(2);
    await gate.close();
  });
});
