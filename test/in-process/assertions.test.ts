import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeaderReader } from '../../src/decision/request/header-reader.js';
import type { Outcome } from '../../src/decision/question.js';
import { createAuthRequestGateway } from '../../src/gateways/auth-request.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { ASSERTION, claimsOfHeaders, identityClaims, JWKS, verifyAsApp, writeAssertionKey, type KeyFile } from '../support/assertions.js';
import { check, envoyOutcome, type EnvoyExtAuthz } from '../support/envoy-ext-authz.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { writePolicy } from '../support/policies.js';

const APP = 'app.example.test';
const ORDERS = 'https://api.example.test/orders';
const POLICY = `
rules:
  - name: admin pages
    match: { path_prefix: /admin/ }
    roles: [admin]
  - name: assets
    match: { path_prefix: /assets/ }
    access: public
  - name: api
    match: { path_prefix: /api/ }
    allow_cors_preflight: true
`;

let authgear: AuthgearStandIn;
let key: KeyFile;
let gate: TestGate;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  key = writeAssertionKey();
  gate = await startTestGate(authgear, { ASSERTION_KEY_FILE: key.path, POLICY_FILE: writePolicy(POLICY), EXT_AUTHZ_PORT: '18081' });
});
afterAll(async () => {
  await gate?.close();
  await authgear?.close();
});

const identityHeaders = (response: Response) => Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-authgear-') && name !== ASSERTION));
const ask = (headers: Record<string, string>, uri = '/app', host = APP) => gate.auth({ ...headers, 'x-original-uri': uri, host }, '/auth').then(async (response) => response);
const asApp = (token: string | null, audience = APP) => verifyAsApp(token ?? undefined, { gateUrl: gate.url, audience });

describe('an allow that proved an identity', () => {
  it('carries an assertion an app verifies with the JWKS over HTTP, saying what the identity headers say', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-1', [CLAIMS.roles]: ['admin', 'editor'], amr: ['pwd', 'otp'] } });
    const response = await gate.auth({ ...bearer(token), 'x-original-host': 'App.Example.Test:8443' });
    expect(response.status).toBe(200);
    const assertion = response.headers.get(ASSERTION);
    const { payload, protectedHeader } = await asApp(assertion);
    expect(identityClaims(payload)).toEqual(claimsOfHeaders(identityHeaders(response)));
    expect(payload).toMatchObject({ sub: 'user-1', roles: ['admin', 'editor'], amr: ['pwd', 'otp'], principal: 'user', client_id: 'test-client', iss: 'authgear-gate', aud: APP, rule: 'default' });
    expect(payload.exp! - payload.iat!).toBe(60);
    // The key's RFC 7638 thumbprint names it; nothing of the credential is in the assertion.
    const jwks = (await (await gate.request(JWKS)).json()) as { keys: JWK[] };
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: await calculateJwkThumbprint(jwks.keys[0]!), typ: 'JWT' });
    expect(assertion).not.toContain(token.split('.')[2]);
    expect(JSON.stringify(payload)).not.toContain(token.split('.')[2]);
  });

  it('names the route rule, and a machine client as a client with no user claims', async () => {
    const admin = await gate.auth(bearer(await authgear.accessToken({ claims: { [CLAIMS.roles]: ['admin'] } })), '/auth');
    expect(decodeJwt(admin.headers.get(ASSERTION)!)).toMatchObject({ rule: 'default' });
    const adminPage = await ask(bearer(await authgear.accessToken({ claims: { [CLAIMS.roles]: ['admin'] } })), '/admin/users');
    expect(decodeJwt(adminPage.headers.get(ASSERTION)!).rule).toBe('admin pages');
    const machine = await gate.auth(bearer(await authgear.machineToken({ resource: ORDERS, scopes: ['read:orders'], clientId: 'batch' })), `/auth?resource=${ORDERS}&principals=any`);
    expect(machine.status).toBe(200);
    const { payload } = await asApp(machine.headers.get(ASSERTION));
    expect(identityClaims(payload)).toEqual(claimsOfHeaders(identityHeaders(machine)));
    expect(identityClaims(payload)).toEqual({ sub: 'client_id_batch', principal: 'client', client_id: 'batch', scope: 'read:orders' });
  });

  it('is made for a session the resolver answered for too, without client or scope', async () => {
    const { value, user } = authgear.sessions.issue('session', { roles: [], amr: ['pwd'], authenticatedAt: 1_700_000_000 });
    const response = await gate.auth({ cookie: `session=${value}` });
    const { payload } = await asApp(response.headers.get(ASSERTION));
    expect(identityClaims(payload)).toEqual(claimsOfHeaders(identityHeaders(response)));
    expect(identityClaims(payload)).toEqual({ sub: user.id, principal: 'user', anonymous: false, verified: true, can_reauthenticate: true, amr: ['pwd'], auth_time: 1_700_000_000 });
  });
});

describe('what carries no assertion', () => {
  it('a public route, a CORS preflight and every refusal', async () => {
    const preflight = await gate.auth({ 'x-original-uri': '/api/orders', 'x-original-method': 'OPTIONS', origin: 'https://spa.example.test', 'access-control-request-method': 'POST' });
    const answers = [await ask({}, '/assets/app.js'), await gate.auth({}, '/auth?access=public'), preflight, await gate.auth({}), await ask(bearer(await authgear.accessToken()), '/admin/x')];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 401, 403]);
    for (const answer of answers) expect(answer.headers.get(ASSERTION)).toBeNull();
  });
});

describe('audiences', () => {
  it('are the host the decision judged, so one app refuses what was made for another', async () => {
    const token = await authgear.accessToken();
    const forOther = (await ask(bearer(token), '/app', 'other.example.test')).headers.get(ASSERTION);
    expect(decodeJwt(forOther!).aud).toBe('other.example.test');
    await expect(asApp(forOther)).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
    // ForwardAuth names the host in X-Forwarded-Host, ext_authz in the check request's Host.
    const forwarded = await gate.request('/auth', { headers: { ...bearer(token), host: 'gate.internal', 'x-forwarded-method': 'GET', 'x-forwarded-host': `${APP}:443`, 'x-forwarded-uri': '/x', 'x-forwarded-proto': 'https' } });
    expect(decodeJwt(forwarded.headers.get(ASSERTION)!).aud).toBe(APP);
  });

  it('is ASSERTION_AUDIENCE when set, whatever the host', async () => {
    const fixed = await startTestGate(authgear, { ASSERTION_KEY_FILE: key.path, ASSERTION_AUDIENCE: 'https://apps.example.test', ASSERTION_ISSUER: 'https://gate.example.test' });
    try {
      const response = await fixed.auth({ ...bearer(await authgear.accessToken()), 'x-original-host': 'x.example.test' });
      const { payload } = await verifyAsApp(response.headers.get(ASSERTION)!, { gateUrl: fixed.url, audience: 'https://apps.example.test', issuer: 'https://gate.example.test' });
      expect(payload.aud).toBe('https://apps.example.test');
    } finally {
      await fixed.close();
    }
  });
});

describe('ext_authz over HTTP', () => {
  const ENVOY: EnvoyExtAuthz = { pathPrefix: '', allowedHeaders: [], allowedUpstreamHeaders: [ASSERTION, 'x-authgear-user-id'] };

  it('sets the assertion on the app\'s request, and removes a client\'s copy where it sets none', async () => {
    const request = { path: '/app', host: APP, headers: { authorization: `Bearer ${await authgear.accessToken()}`, [ASSERTION]: 'forged' } };
    const allowed = envoyOutcome(ENVOY, request, await check(gate.extAuthzPort!, ENVOY, request));
    expect(allowed.allowed && (await asApp(allowed.upstreamHeaders[ASSERTION]!)).payload.aud).toBe(APP);
    const open = { path: '/assets/app.js', host: APP, headers: { [ASSERTION]: 'forged' } };
    const publicAllow = envoyOutcome(ENVOY, open, await check(gate.extAuthzPort!, ENVOY, open));
    expect(publicAllow).toEqual({ allowed: true, upstreamHeaders: {} });
  });
});

describe('signing off the hot path', () => {
  const reader = (headers: Record<string, string>): HeaderReader => Object.assign((name: string) => headers[name], { findName: (test: (name: string) => boolean) => Object.keys(headers).find(test) });

  it('reuses the headers array (assertion included) of an identity: the answer writer flattens it once', async () => {
    const headers = { 'x-original-uri': '/app', 'x-original-method': 'GET', 'x-original-host': APP, authorization: `Bearer ${await authgear.accessToken()}` };
    const decide = async () => (await gate.decide(createAuthRequestGateway('auto')(reader(headers), '').question)) as Outcome & { kind: 'allow' };
    const first = await decide();
    const again = gate.decide(createAuthRequestGateway('auto')(reader(headers), '').question);
    // Known token, known assertion: answered without awaiting anything, the same array.
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as Outcome & { kind: 'allow' }).headers).toBe(first.headers);
    expect(first.headers.slice(0, -1)).toEqual([...first.authentication!.headers]);
    expect(first.headers.at(-1)![0]).toBe(ASSERTION);
  });

  it('serves one assertion until a third of its lifetime is left, then a new one', async () => {
    let nowMs = Date.now();
    authgear.setClock(() => Math.floor(nowMs / 1000));
    const timed = await startTestGate(authgear, { ASSERTION_KEY_FILE: key.path, ASSERTION_TTL_SECONDS: '30' }, { now: () => nowMs });
    try {
      const token = await authgear.accessToken({ expiresIn: 3600 });
      const assertion = async () => (await timed.auth(bearer(token))).headers.get(ASSERTION)!;
      const first = await assertion();
      const issued = decodeJwt(first).iat! * 1000;
      nowMs = issued + 19_000;
      expect(await assertion()).toBe(first);
      nowMs = issued + 20_500;
      const renewed = await assertion();
      expect(renewed).not.toBe(first);
      expect(decodeJwt(renewed).iat).toBe(Math.floor(nowMs / 1000));
      expect(decodeProtectedHeader(renewed).kid).toBe(decodeProtectedHeader(first).kid);
    } finally {
      authgear.setClock(() => Math.floor(Date.now() / 1000));
      await timed.close();
    }
  });

  it('signs every time when the token cache is off (TOKEN_CACHE_MAX_ENTRIES=0)', async () => {
    const uncached = await startTestGate(authgear, { ASSERTION_KEY_FILE: key.path, TOKEN_CACHE_MAX_ENTRIES: '0' });
    try {
      const response = await uncached.auth(bearer(await authgear.accessToken()));
      expect((await verifyAsApp(response.headers.get(ASSERTION)!, { gateUrl: uncached.url, audience: APP })).payload.principal).toBe('user');
    } finally {
      await uncached.close();
    }
  });
});

describe('the key set at /.well-known/jwks.json', () => {
  it('publishes the public key only, for a key cache to follow', async () => {
    const response = await gate.request(JWKS);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { keys } = (await response.json()) as { keys: Array<JWK & Record<string, unknown>> };
    expect(keys).toHaveLength(1);
    const exported = key.publicKey.export({ format: 'jwk' });
    expect(keys[0]).toEqual({ ...exported, kid: await calculateJwkThumbprint(exported as JWK), alg: 'ES256', use: 'sig' });
  });

  it('is not there, and no allow is signed, when ASSERTION_KEY_FILE is not set', async () => {
    const plain = await startTestGate(authgear);
    try {
      expect((await plain.request(JWKS)).status).toBe(404);
      const response = await plain.auth(bearer(await authgear.accessToken()));
      expect(response.status).toBe(200);
      expect(response.headers.get(ASSERTION)).toBeNull();
    } finally {
      await plain.close();
    }
  });
});
