import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheObserver } from '../../src/cache/cache.js';
import { RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate, type TestGate } from '../support/gate.js';
import { reasonOf } from '../support/answers.js';

let authgear: AuthgearStandIn;
let nowMs: number;
let staleServed: number;
const gates: TestGate[] = [];

const observer: CacheObserver = { onServeStale: () => { staleServed++; } };

async function gateWith(env: Record<string, string> = {}): Promise<TestGate> {
  const gate = await startTestGate(authgear, env, { now: () => nowMs, cacheObserver: observer });
  gates.push(gate);
  return gate;
}

beforeEach(async () => {
  nowMs = Date.now();
  staleServed = 0;
  authgear = await startAuthgearStandIn();
});
afterEach(async () => {
  for (const gate of gates.splice(0)) await gate.close();
  await authgear.close();
});
const calls = () => authgear.count(RESOLVE_PATH);
const session = (value: string, extra = '') => ({ cookie: `session=${value}${extra}` });

describe('resolver answers in the in-process cache', () => {
  it('are reused until the positive TTL (30 s by default), so a revoked session dies within it', async () => {
    const gate = await gateWith();
    const { value } = authgear.sessions.issue('session');
    expect((await gate.auth(session(value))).status).toBe(200);
    authgear.sessions.revoke(value);
    nowMs += 29_000;
    expect((await gate.auth(session(value))).status).toBe(200);
    expect(calls()).toBe(1);
    nowMs += 2_000;
    expect(reasonOf(await gate.auth(session(value)))).toBe('session_invalid');
    expect(calls()).toBe(2);
  });

  it('keep refusals for their own, shorter TTL (10 s by default)', async () => {
    const gate = await gateWith();
    expect(reasonOf(await gate.auth(session('dead')))).toBe('session_invalid');
    nowMs += 9_000;
    const cached = await gate.auth(session('dead'));
    expect([reasonOf(cached), cached.headers.getSetCookie().length]).toEqual(['session_invalid', 1]);
    expect(calls()).toBe(1);
    nowMs += 2_000;
    await gate.auth(session('dead'));
    expect(calls()).toBe(2);
  });

  it('are keyed by the Authgear credentials only: other cookies share, other sessions do not', async () => {
    const gate = await gateWith();
    const [a, b] = [authgear.sessions.issue('session'), authgear.sessions.issue('session')];
    const user = async (extra: string, value = a.value) => (await gate.auth(session(value, extra))).headers.get('x-authgear-user-id');
    expect(await user('; theme=dark')).toBe(a.user.id);
    expect(await user('; theme=light; csrf=1')).toBe(a.user.id);
    expect(calls()).toBe(1);
    expect(await user('', b.value)).toBe(b.user.id);
    expect(calls()).toBe(2);
  });

  it('make one resolver call for a burst of concurrent requests with the same new session', async () => {
    const gate = await gateWith();
    const { value, user } = authgear.sessions.issue('session');
    authgear.setState('up', 200);
    const answers = await Promise.all(Array.from({ length: 50 }, () => gate.auth(session(value))));
    expect(new Set(answers.map((answer) => `${answer.status} ${answer.headers.get('x-authgear-user-id')}`))).toEqual(new Set([`200 ${user.id}`]));
    expect(calls()).toBe(1);
  });

  it('are not kept at all with a TTL of 0: every request asks Authgear', async () => {
    const gate = await gateWith({ RESOLVER_POSITIVE_TTL_SECONDS: '0', RESOLVER_NEGATIVE_TTL_SECONDS: '0' });
    const { value } = authgear.sessions.issue('session');
    for (let index = 0; index < 3; index++) await gate.auth(session(value));
    for (let index = 0; index < 2; index++) await gate.auth(session('dead'));
    expect(calls()).toBe(5);
  });
});

describe('a failing resolver', () => {
  it('is a 503 resolver_unavailable (fail closed) whether it errors, is down or is too slow', async () => {
    const gate = await gateWith({ RESOLVER_TIMEOUT_MS: '200' });
    for (const [state, delay] of [['error', 0], ['down', 0], ['up', 3000]] as const) {
      authgear.setState(state, delay);
      const response = await gate.auth(session(authgear.sessions.issue('session').value));
      expect([response.status, reasonOf(response), response.headers.get('retry-after')], `${state} ${delay}`).toEqual([503, 'resolver_unavailable', '5']);
    }
  });

  it('is a 503 when its answer is off-contract or not a 200 (e.g. an unknown Host)', async () => {
    const gate = await gateWith();
    const complete = {
      'x-authgear-session-valid': 'true', 'x-authgear-user-id': 'u1', 'x-authgear-user-anonymous': 'false',
      'x-authgear-user-verified': 'true', 'x-authgear-user-can-reauthenticate': 'true', 'x-authgear-session-amr': '',
    };
    authgear.handlers.set(RESOLVE_PATH, (_req, res) => res.writeHead(200, { ...complete, 'content-length': 0 }).end());
    expect((await gate.auth(session('complete'))).headers.get('x-authgear-user-id')).toBe('u1');
    const answers: Array<[number, Record<string, string>]> = [
      [200, { 'x-authgear-session-valid': 'true' }],
      [200, { 'x-authgear-session-valid': 'yes' }],
      [200, { 'x-authgear-session-valid': 'true', 'x-authgear-user-id': 'u1', 'x-authgear-user-anonymous': 'maybe' }],
      [200, { ...complete, 'x-authgear-session-authenticated-at': 'yesterday' }],
      [404, {}],
      [307, { location: 'https://elsewhere.example' }],
    ];
    for (const [status, headers] of answers) {
      authgear.handlers.set(RESOLVE_PATH, (_req, res) => res.writeHead(status, { ...headers, 'content-length': 0 }).end());
      const response = await gate.auth(session(authgear.sessions.issue('session').value));
      expect([response.status, reasonOf(response)], JSON.stringify(headers)).toEqual([503, 'resolver_unavailable']);
    }
  });

  it('does not get a stale answer by default: past the TTL, an outage is a 503', async () => {
    const gate = await gateWith();
    const { value } = authgear.sessions.issue('session');
    expect((await gate.auth(session(value))).status).toBe(200);
    nowMs += 31_000;
    authgear.setState('down');
    expect(reasonOf(await gate.auth(session(value)))).toBe('resolver_unavailable');
    expect(staleServed).toBe(0);
  });

  it('with serve-stale on, gets the last valid answer within the window only, each one counted', async () => {
    const gate = await gateWith({ RESOLVER_SERVE_STALE_SECONDS: '60' });
    const { value, user } = authgear.sessions.issue('session');
    expect((await gate.auth(session(value))).status).toBe(200);
    await gate.auth(session('dead'));
    nowMs += 31_000;
    authgear.setState('down');
    const stale = await gate.auth(session(value));
    expect([stale.status, stale.headers.get('x-authgear-user-id')]).toEqual([200, user.id]);
    expect(gate.decisions.at(-1)?.via).toBe('resolver_stale');
    expect(staleServed).toBe(1);
    // never for a refusal, nor for credentials never seen
    expect(reasonOf(await gate.auth(session('dead')))).toBe('resolver_unavailable');
    expect(reasonOf(await gate.auth(session(authgear.sessions.issue('session').value)))).toBe('resolver_unavailable');
    nowMs += 60_000;
    expect(reasonOf(await gate.auth(session(value)))).toBe('resolver_unavailable');
    expect(staleServed).toBe(1);
  });

  it('with serve-stale on, still refuses a session the live resolver refuses', async () => {
    const gate = await gateWith({ RESOLVER_SERVE_STALE_SECONDS: '60' });
    const { value } = authgear.sessions.issue('session');
    expect((await gate.auth(session(value))).status).toBe(200);
    authgear.sessions.revoke(value);
    nowMs += 31_000;
    expect(reasonOf(await gate.auth(session(value)))).toBe('session_invalid');
    expect(staleServed).toBe(0);
  });
});
