import type { AddressInfo } from 'node:net';
import { importVerificationKeys, type Jwk } from '../../src/oidc/verification-keys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Denial } from '../../src/decision/outcome.js';
import { createAccessTokenVerifier } from '../../src/decision/authentication/jwt/access-token-verifier.js';
import { createJwtVerifier, type KeyLookup } from '../../src/decision/authentication/jwt/verify-jwt.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import http from 'node:http';
import { honoListener } from '../../src/http/http-server.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { httpGet } from '../support/processes.js';

let authgear: AuthgearStandIn;
beforeAll(async () => { authgear = await startAuthgearStandIn(); });
afterAll(async () => { await authgear.close(); });

function verifierWithCountingKeys(nowMs: () => number, cacheMaxEntries = 10) {
  let keyLookups = 0;
  const local = importVerificationKeys({ keys: authgear.keys.map((key) => key.publicJwk as Jwk) });
  const keysFor: KeyLookup = (kid, alg) => { keyLookups++; return local.keysFor(kid, alg); };
  const verifyJwt = createJwtVerifier({ keysFor, issuer: authgear.origin, algorithms: ['RS256'], clockSkewSeconds: 0, now: nowMs });
  const verifier = createAccessTokenVerifier({ verifyJwt, claimHeaders: [], cacheMaxEntries, now: nowMs });
  return { verifier, lookups: () => keyLookups };
}

/** A verification's outcome as a promise, whether it answered, threw or rejected. */
const settled = <T>(verify: () => T | Promise<T>): Promise<T> => {
  try {
    return Promise.resolve(verify());
  } catch (error) {
    return Promise.reject(error);
  }
};

describe('the verified-token cache', () => {
  it('serves a repeated token without verifying it again', async () => {
    const { verifier, lookups } = verifierWithCountingKeys(Date.now);
    const token = await authgear.accessToken();
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    // The same identity, headers and expiry, read from the cache this time, and said so.
    expect({ ...second, cached: false }).toEqual(first);
    expect([first?.cached, second?.cached]).toEqual([false, true]);
    expect(verifier.verify(token)).toBe(second);
    expect(lookups()).toBe(1);
  });

  it('forgets a token at its exp and then refuses it', async () => {
    let now = Date.now();
    const { verifier, lookups } = verifierWithCountingKeys(() => now);
    const token = await authgear.accessToken({ now: Math.floor(now / 1000), expiresIn: 300 });
    await verifier.verify(token);
    now += 301_000;
    const error = await settled(() => verifier.verify(token)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Denial);
    expect((error as Denial).code).toBe('token_expired');
    expect(lookups()).toBe(2);
  });

  it('never lends a cached token\'s verdict to another header or payload under the same signature', async () => {
    const { verifier } = verifierWithCountingKeys(Date.now);
    const token = await authgear.accessToken({ claims: { sub: 'victim' } });
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const otherPayload = Buffer.from(JSON.stringify({ ...claims, sub: 'attacker' })).toString('base64url');
    const otherHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
    for (const tampered of [`${header}.${otherPayload}.${signature}`, `${otherHeader}.${payload}.${signature}`, `${header}.${payload}x.${signature}`]) {
      const error = await settled(() => verifier.verify(tampered)).catch((caught: unknown) => caught);
      expect(error, tampered.slice(0, 40)).toBeInstanceOf(Denial);
    }
    // And the real one is still served from the cache.
    expect((verifier.verify(token) as { identity: { userId?: string } }).identity).toBeDefined();
  });

  it('is bounded by its entry limit', async () => {
    const { verifier } = verifierWithCountingKeys(Date.now, 3);
    for (let i = 0; i < 10; i++) await verifier.verify(await authgear.accessToken());
    expect(verifier.cacheSize()).toBe(3);
  });

  it('never caches a refused token', async () => {
    const { verifier, lookups } = verifierWithCountingKeys(Date.now);
    const token = await authgear.accessToken({ claims: { iss: 'https://evil.example' } });
    for (let i = 0; i < 2; i++) await settled(() => verifier.verify(token)).catch(() => undefined);
    expect(lookups()).toBe(2);
    expect(verifier.cacheSize()).toBe(0);
  });

  it('answers a token at once, verifying it on this thread the first time, then from the cache until its exp', async () => {
    let now = Date.now();
    const { verifier, lookups } = verifierWithCountingKeys(() => now);
    const token = await authgear.accessToken({ now: Math.floor(now / 1000), expiresIn: 300 });
    const first = verifier.verify(token);
    expect(first).not.toBeInstanceOf(Promise);
    expect(verifier.verify(token)).toEqual({ ...first, cached: true });
    expect(lookups()).toBe(1);
    now += 301_000;
    expect(() => verifier.verify(token)).toThrow(expect.objectContaining({ code: 'token_expired' }));
    expect(verifier.cacheSize()).toBe(0);
  });

  it('leaves a token that is not a JWT to the resolver: no answer, nothing cached', () => {
    const { verifier, lookups } = verifierWithCountingKeys(Date.now);
    expect(verifier.verify('opaque-access-token-0123456789')).toBeUndefined();
    expect(lookups()).toBe(0);
    expect(verifier.cacheSize()).toBe(0);
  });
});

describe('the /auth hot path', () => {
  /**
   * The gate's listener behind a server that notes whether each answer's head was written
   * before the listener returned, and the answer ended by the end of that turn of the event
   * loop (answers leave together then: answer-flush).
   */
  async function recordingSynchronousAnswers(gate: TestGate) {
    const synchronous: boolean[] = [];
    const listener = honoListener(gate.listeners.find((spec) => spec.name === 'auth')!.app!);
    const server = http.createServer((incoming, outgoing) => {
      void listener(incoming, outgoing);
      const decided = outgoing.headersSent;
      setImmediate(() => synchronous.push(decided && outgoing.writableEnded));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`;
    return { url, synchronous, close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }) };
  }

  it('answers a token synchronously, new or known: no promise, its head written before the listener returns', async () => {
    const gate = await startTestGate(authgear);
    const recording = await recordingSynchronousAnswers(gate);
    try {
      const token = await authgear.accessToken();
      const request = () => httpGet(recording.url, { 'x-original-uri': '/', 'x-original-host': 'app.example.test', ...bearer(token) });
      expect((await request()).status).toBe(200);
      const second = await request();
      expect(second.status).toBe(200);
      expect(second.headers['content-length']).toBe('0');
      expect(recording.synchronous).toEqual([true, true]);
    } finally {
      await recording.close();
      await gate.close();
    }
  });

  it('answers a session the resolver answered recently synchronously too, from its decoded answer', async () => {
    const gate = await startTestGate(authgear);
    const recording = await recordingSynchronousAnswers(gate);
    try {
      const { value, user } = authgear.sessions.issue('session');
      const request = () => httpGet(recording.url, { 'x-original-uri': '/', 'x-original-host': 'app.example.test', cookie: `session=${value}` });
      expect((await request()).headers['x-authgear-user-id']).toBe(user.id);
      expect((await request()).headers['x-authgear-user-id']).toBe(user.id);
      expect(recording.synchronous).toEqual([false, true]);
      expect(authgear.count('/_resolver/resolve')).toBe(1);
    } finally {
      await recording.close();
      await gate.close();
    }
  });
});
