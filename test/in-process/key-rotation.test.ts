import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKey, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { waitFor } from '../support/wait-for.js';
import { reasonOf } from '../support/answers.js';

let authgear: AuthgearStandIn;
let gate: TestGate;
let nowMs: number;

beforeEach(async () => {
  nowMs = Date.now();
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear, { JWKS_MISS_COOLDOWN_SECONDS: '30', JWKS_REFRESH_SECONDS: '300' }, { now: () => nowMs });
});
afterEach(async () => {
  await gate.close();
  await authgear.close();
});

describe('signing keys', () => {
  it('loads discovery once and the JWKS from its jwks_uri before being ready', async () => {
    expect(gate.keyStore.isReady()).toBe(true);
    expect(authgear.count('/.well-known/openid-configuration')).toBe(1);
    expect(authgear.count('/oauth2/jwks')).toBe(1);
    expect((await gate.request('/readyz')).status).toBe(200);
  });

  it('picks up a rotated key on its first unknown kid, then serves both old and new tokens', async () => {
    const oldToken = await authgear.accessToken();
    await authgear.rotate();
    const newToken = await authgear.accessToken();
    expect((await gate.auth(bearer(newToken))).status).toBe(200);
    expect(authgear.count('/oauth2/jwks')).toBe(2);
    expect((await gate.auth(bearer(oldToken))).status).toBe(200);
  });

  it('stops accepting a key Authgear removed, once the key set is refreshed', async () => {
    const oldKey = authgear.keys[0]!;
    await authgear.rotate({ dropOld: true });
    nowMs += 301_000;
    // the first request past the refresh age triggers a background refresh
    const current = await authgear.accessToken({ now: Math.floor(nowMs / 1000) });
    expect((await gate.auth(bearer(current))).status).toBe(200);
    await waitFor(() => authgear.count('/oauth2/jwks') === 2);
    const signedByRemovedKey = await authgear.accessToken({ key: oldKey, now: Math.floor(nowMs / 1000) });
    expect(reasonOf(await gate.auth(bearer(signedByRemovedKey)))).toBe('unknown_key');
  });

  it('refetches for unknown kids at most once per cooldown, however many arrive', async () => {
    const stranger = await authgear.newUnpublishedKey();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => authgear.accessToken({ key: { ...stranger, kid: crypto.randomUUID() } })));
    const answers = await Promise.all(tokens.map((token) => gate.auth(bearer(token))));
    expect(answers.every((answer) => answer.status === 401 && reasonOf(answer) === 'unknown_key')).toBe(true);
    expect(authgear.count('/oauth2/jwks')).toBe(2);
    nowMs += 31_000;
    await gate.auth(bearer(tokens[0]!));
    expect(authgear.count('/oauth2/jwks')).toBe(3);
  });

  it('lets a burst of tokens of a new key wait for the one refetch in flight, all allowed', async () => {
    await authgear.rotate();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => authgear.accessToken()));
    authgear.setState('up', 300);
    const answers = await Promise.all(tokens.map((token) => gate.auth(bearer(token))));
    expect(answers.map((answer) => answer.status)).toEqual(tokens.map(() => 200));
    expect(authgear.count('/oauth2/jwks')).toBe(2);
  });

  it('reloads again when the reload a new kid waited for was fetched before the key was published', async () => {
    const next = await generateSigningKey();
    const newToken = await authgear.accessToken({ key: next, now: Math.floor((nowMs + 301_000) / 1000) });
    let release!: () => void;
    let hold: Promise<void> | undefined = new Promise((resolve) => { release = resolve; });
    authgear.handlers.set('/oauth2/jwks', (_req, res) => {
      const snapshot = JSON.stringify({ keys: authgear.keys.map((key) => key.publicJwk) });
      const wait = hold ?? Promise.resolve();
      hold = undefined;
      void wait.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(snapshot));
    });
    nowMs += 301_000;
    // This request starts a background refresh; Authgear answers it from the old key set, late.
    expect((await gate.auth(bearer(await authgear.accessToken({ now: Math.floor(nowMs / 1000) })))).status).toBe(200);
    await waitFor(() => authgear.count('/oauth2/jwks') === 2);
    authgear.keys.unshift(next);
    const pending = gate.auth(bearer(newToken));
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    expect((await pending).status).toBe(200);
    expect(authgear.count('/oauth2/jwks')).toBe(3);
  });

  it('keeps verifying with the keys it has while Authgear is down', async () => {
    authgear.setState('down');
    nowMs += 301_000;
    const token = await authgear.accessToken({ now: Math.floor(nowMs / 1000) });
    expect((await gate.auth(bearer(token))).status).toBe(200);
  });
});

describe('a rotation after stray unknown kids (cooldown at most 30 s)', () => {
  const jwksFetches = () => authgear.count('/oauth2/jwks');
  let stranger: Awaited<ReturnType<AuthgearStandIn['newUnpublishedKey']>>;
  const strayToken = () => authgear.accessToken({ key: { ...stranger, kid: crypto.randomUUID() } });
  beforeEach(async () => {
    stranger = await authgear.newUnpublishedKey();
    // Tokens are issued on the gate's clock, which these tests move by minutes.
    authgear.setClock(() => Math.floor(nowMs / 1000));
  });

  /** Asks every 250 ms of the gate's clock until the token passes; the ms that took. */
  async function msUntilAccepted(token: string, limitMs = 60_000): Promise<number> {
    const start = nowMs;
    while ((await gate.auth(bearer(token))).status !== 200) {
      if (nowMs - start >= limitMs) return Infinity;
      nowMs += 250;
    }
    return nowMs - start;
  }

  it('accepts the new key within 5 s of one stray kid just before it, with one more fetch', async () => {
    expect(reasonOf(await gate.auth(bearer(await strayToken())))).toBe('unknown_key');
    expect(jwksFetches()).toBe(2);
    await authgear.rotate();
    const waited = await msUntilAccepted(await authgear.accessToken());
    expect(waited).toBeLessThanOrEqual(1000);
    expect(jwksFetches()).toBe(3);
  });

  it('lets a burst of new-key tokens after a stray kid share one fetch, all allowed', async () => {
    await gate.auth(bearer(await strayToken()));
    await authgear.rotate();
    nowMs += 1000;
    const tokens = await Promise.all(Array.from({ length: 20 }, () => authgear.accessToken()));
    authgear.setState('up', 200);
    const answers = await Promise.all(tokens.map((token) => gate.auth(bearer(token))));
    expect(answers.map((answer) => answer.status)).toEqual(tokens.map(() => 200));
    expect(jwksFetches()).toBe(3);
  });

  it('causes at most 3 fetches for a flood of 50 random kids at once', async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, strayToken));
    const answers = await Promise.all(tokens.map((token) => gate.auth(bearer(token))));
    expect(answers.map(reasonOf)).toEqual(tokens.map(() => 'unknown_key'));
    expect(jwksFetches()).toBeLessThanOrEqual(3);
  });

  it('keeps a flood of random kids to a few fetches a minute for minutes, and still takes a rotation', async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, strayToken));
    const fetchedAt: number[] = [];
    const start = nowMs;
    // Five new kids every half second for four minutes: 2400 requests.
    for (let step = 0; step < 480; step++) {
      const before = jwksFetches();
      await Promise.all(tokens.slice((step * 5) % 50, (step * 5) % 50 + 5).map((token) => gate.auth(bearer(token))));
      for (let fetch = before; fetch < jwksFetches(); fetch++) fetchedAt.push(nowMs - start);
      nowMs += 500;
    }
    const inMinute = (minute: number) => fetchedAt.filter((at) => at >= minute * 60_000 && at < (minute + 1) * 60_000).length;
    const busiestMinute = Math.max(...fetchedAt.map((from) => fetchedAt.filter((at) => at >= from && at < from + 60_000).length));
    expect([busiestMinute, inMinute(0), inMinute(1), inMinute(2), inMinute(3)]).toEqual([6, 6, 2, 2, 2]);
    // Under the flood a rotation waits at most the longest cooldown, never for good.
    await authgear.rotate();
    const newKey = await authgear.accessToken();
    expect(await msUntilAccepted(newKey)).toBeLessThanOrEqual(30_000);
    // New keys mean a rotation is under way: its next kid is taken at once, not paced.
    await authgear.rotate();
    expect(await msUntilAccepted(await authgear.accessToken())).toBe(0);
  });

  it('forgets stray kids hours apart: the wait does not add up to the lock-out', async () => {
    for (let stray = 0; stray < 30; stray++) {
      expect(reasonOf(await gate.auth(bearer(await strayToken())))).toBe('unknown_key');
      nowMs += 120_000;
    }
    expect(jwksFetches()).toBe(31);
    await gate.auth(bearer(await strayToken()));
    await authgear.rotate();
    expect(await msUntilAccepted(await authgear.accessToken())).toBeLessThanOrEqual(1000);
  });

  it('starts afresh once the flood has been quiet for twice the longest wait', async () => {
    const tokens = await Promise.all(Array.from({ length: 5 }, strayToken));
    for (let step = 0; step < 120; step++, nowMs += 500) await gate.auth(bearer(tokens[step % 5]!));
    nowMs += 60_000;
    await gate.auth(bearer(await strayToken()));
    await authgear.rotate();
    expect(await msUntilAccepted(await authgear.accessToken())).toBeLessThanOrEqual(1000);
  });
});

describe('before keys are loaded', () => {
  it('is not ready and answers 503 keys_unavailable, then becomes ready when Authgear comes back', async () => {
    const down = await startAuthgearStandIn();
    down.setState('down');
    const waiting = await startTestGate(down, {}, { start: false });
    const controller = new AbortController();
    const started = waiting.start(controller.signal);
    const token = await down.accessToken();
    const response = await waiting.auth(bearer(token));
    expect(response.status).toBe(503);
    expect(reasonOf(response)).toBe('keys_unavailable');
    expect(response.headers.get('retry-after')).toBe('5');
    expect((await waiting.request('/readyz')).status).toBe(503);
    expect((await waiting.request('/healthz')).status).toBe(200);
    await waitFor(() => down.count('/.well-known/openid-configuration') >= 1);
    down.setState('up');
    await started;
    expect((await waiting.auth(bearer(token))).status).toBe(200);
    expect(down.count('/.well-known/openid-configuration')).toBeGreaterThan(1);
    await waiting.close();
    await down.close();
  });

  it('refuses a discovery document for another issuer', async () => {
    const other = await startAuthgearStandIn();
    other.handlers.set('/.well-known/openid-configuration', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: 'https://evil.example', jwks_uri: 'https://evil.example/jwks' }));
    });
    const waiting = await startTestGate(other, {}, { start: false });
    const controller = new AbortController();
    const started = waiting.start(controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(waiting.keyStore.isReady()).toBe(false);
    expect(other.count('/oauth2/jwks')).toBe(0);
    controller.abort();
    await started;
    await waiting.close();
    await other.close();
  });
});

describe('an in-cluster Authgear URL', () => {
  it('connects to the internal address with the public Host, as Authgear routes by Host', async () => {
    const internal = await startAuthgearStandIn({ publicOrigin: 'https://auth.example.test' });
    const routed = await startTestGate(internal);
    expect(routed.keyStore.isReady()).toBe(true);
    const token = await internal.accessToken();
    expect((await routed.auth(bearer(token))).status).toBe(200);
    await routed.close();
    await internal.close();
  });
});
