import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { check, envoyOutcome, type CheckAnswer, type ClientRequest, type EnvoyExtAuthz } from '../support/envoy-ext-authz.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { ROUTING_HEADERS } from '../../src/decision/request/routing-headers.js';
import { reasonOf, REASON_HEADER } from '../support/answers.js';
import { writePolicy } from '../support/policies.js';

// Freshness, browser login and sessions (the freshness, login-redirect and resolver-mode
// cases), asked the way Envoy asks: the headers they need reach the sidecar only when the
// gateway allows them (Cookie, Accept, the ID token header, X-Forwarded-Proto).
const APP = 'app.example.test';
const CALLBACK = `https://${APP}/_authgear/callback`;
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const POLICY = `
rules:
  - name: fresh
    match: { path_prefix: /fresh/ }
    max_auth_age: 300
  - name: fresh unless impossible
    match: { path_prefix: /fresh-lenient/ }
    max_auth_age: 300
    when_cannot_reauthenticate: allow
  - name: fresh by id token
    match: { path_prefix: /payments/ }
    max_auth_age: 300
    freshness_from: id_token
  - name: admin
    match: { path_prefix: /admin/ }
    roles: [admin]
`;
const ENVOY: EnvoyExtAuthz = {
  pathPrefix: '',
  allowedHeaders: ['cookie', 'accept', 'x-id-token'],
  allowedUpstreamHeaders: [...IDENTITY_HEADER_NAMES],
};
const START = 1_800_000_000;

let authgear: AuthgearStandIn;
let gate: TestGate;
let nowMs: number;
const now = () => Math.floor(nowMs / 1000);

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  authgear.setClock(now);
  const policy = writePolicy(POLICY);
  gate = await startTestGate(
    authgear,
    { POLICY_FILE: policy, EXT_AUTHZ_PORT: '18081', CLIENT_IDS: 'web-client,test-client', ID_TOKEN_HEADER: 'X-Id-Token', LOGIN_REDIRECT_URI: CALLBACK, RETURN_TO_HOSTS: APP },
    { now: () => nowMs },
  );
});
beforeEach(() => {
  nowMs = START * 1000 + 999;
});
afterAll(async () => {
  await gate.close();
  await authgear.close();
});
const ask = (path: string, headers: Record<string, string> = {}, config: EnvoyExtAuthz = ENVOY, host = APP) => check(gate.extAuthzPort!, config, { path, host, headers });
const withLoginAt = (authTime: number, claims: Record<string, unknown> = {}) => authgear.accessToken({ claims: { sub: 'user-1', auth_time: authTime, ...claims } });
const cannot = { [CLAIMS.canReauthenticate]: false };

describe('freshness through ext_authz (POLICY_FILE max_auth_age, skew 30 s)', () => {
  it('allows a login max_age + skew ago, refuses one second older with the RFC 9470 challenge', async () => {
    expect((await ask('/fresh/x', bearer(await withLoginAt(now() - 330)))).status).toBe(200);
    const stale = await ask('/fresh/x', bearer(await withLoginAt(now() - 331)));
    expect([stale.status, reasonOf(stale)]).toEqual([401, 'auth_too_old']);
    expect(stale.header('www-authenticate')).toMatch(/^Bearer realm="authgear-gate", error="insufficient_user_authentication", error_description="[^"]+", max_age="300"$/);
  });

  it('takes no auth_time, or one beyond the skew in the future, as unknown', async () => {
    expect(reasonOf(await ask('/fresh/x', bearer(await authgear.accessToken({ omit: ['auth_time'] }))))).toBe('auth_too_old');
    expect((await ask('/fresh/x', bearer(await withLoginAt(now() + 30)))).status).toBe(200);
    expect(reasonOf(await ask('/fresh/x', bearer(await withLoginAt(now() + 31))))).toBe('auth_too_old');
  });

  it('refuses a stale user who cannot reauthenticate (403), unless the rule allows', async () => {
    const stale = await withLoginAt(now() - 1000, cannot);
    const refused = await ask('/fresh/x', bearer(stale));
    expect([refused.status, reasonOf(refused), refused.header('www-authenticate')]).toEqual([403, 'reauthentication_impossible', undefined]);
    expect((await ask('/fresh-lenient/x', bearer(stale))).status).toBe(200);
    expect(reasonOf(await ask('/fresh-lenient/x', bearer(await withLoginAt(now() - 1000))))).toBe('auth_too_old');
  });

  it('a resolver session dated in the future is not fresh', async () => {
    const cookie = (authenticatedAt: number) => ({ cookie: `session=${authgear.sessions.issue('session', { authenticatedAt }).value}` });
    expect((await ask('/fresh/x', cookie(now() + 30))).status).toBe(200);
    expect(reasonOf(await ask('/fresh/x', cookie(now() + 31)))).toBe('auth_too_old');
  });
});

describe('freshness from an ID token through ext_authz (the ID token header allowed)', () => {
  const idToken = (options: Parameters<AuthgearStandIn['idToken']>[0] = {}) =>
    authgear.idToken({ ...options, claims: { sub: 'user-1', auth_time: now() - 10, ...options.claims } });
  const pay = async (idTokenValue: string | undefined, config = ENVOY) =>
    ask('/payments/x', { ...bearer(await withLoginAt(now() - 5000)), ...(idTokenValue ? { 'x-id-token': idTokenValue } : {}) }, config);

  it('allows a fresh ID token of the same user, asks for one when it is missing', async () => {
    const allowed = await pay(await idToken());
    expect(allowed.status).toBe(200);
    // The ID token was the sidecar's to read: Envoy removes it from the app's request.
    expect(allowed.header('x-envoy-auth-headers-to-remove')!.split(', ')).toContain('x-id-token');
    const missing = await pay(undefined);
    expect([missing.status, reasonOf(missing)]).toEqual([401, 'id_token_required']);
    expect(missing.header('www-authenticate')).toContain('max_age="300"');
  });

  it('never sees the ID token when the gateway does not allow its header', async () => {
    expect(reasonOf(await pay(await idToken(), { ...ENVOY, allowedHeaders: ['cookie', 'accept'] }))).toBe('id_token_required');
  });

  it.each([
    ['too old', { claims: { auth_time: START - 331 } }, 'auth_too_old'],
    ['of another client', { clientId: 'someone-else' }, 'wrong_audience'],
    ['of another user', { claims: { sub: 'user-2' } }, 'id_token_mismatch'],
    ['typed as an access token', { header: { typ: 'at+jwt' } }, 'token_type_invalid'],
    ['issued in the future', { now: START + 31 }, 'token_not_yet_valid'],
    ['without auth_time', { omit: ['auth_time'] }, 'claims_invalid'],
  ])('refuses an ID token %s', async (_name, options, code) => {
    expect(reasonOf(await pay(await idToken(options as Parameters<AuthgearStandIn['idToken']>[0])))).toBe(code);
  });

  it('refuses an expired, forged or malformed one', async () => {
    expect(reasonOf(await pay(await idToken({ now: now() - 400, claims: { auth_time: now() - 400 } })))).toBe('token_expired');
    expect(reasonOf(await pay(await idToken({ key: await authgear.newUnpublishedKey() })))).toBe('unknown_key');
    expect(reasonOf(await pay('not-a-jwt'))).toBe('token_malformed');
  });
});

describe('browser login through ext_authz: a 302 Envoy passes to the client', () => {
  it('sends a browser to Authgear\'s login with the original URL (https unless the gateway says otherwise)', async () => {
    const answer = await ask('/orders?page=2', { accept: BROWSER });
    expect([answer.status, answer.header('content-length'), reasonOf(answer)]).toEqual([302, '0', 'credentials_missing']);
    const location = new URL(answer.header('location')!);
    expect(location.origin + location.pathname).toBe(`${authgear.origin}/oauth2/authorize`);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: 'web-client', redirect_uri: CALLBACK, response_type: 'none', scope: 'openid https://authgear.com/scopes/full-access', state: `https://${APP}/orders?page=2`,
    });
    const outcome = envoyOutcome(ENVOY, { path: '/orders?page=2', host: APP }, answer);
    expect(outcome).toMatchObject({ allowed: false, status: 302 });
    // X-Forwarded-Proto counts only when the gateway sends it.
    const withProto = { ...ENVOY, allowedHeaders: [...ENVOY.allowedHeaders, 'x-forwarded-proto'] };
    const http = await ask('/orders', { accept: BROWSER, 'x-forwarded-proto': 'http' }, withProto);
    expect(new URL(http.header('location')!).searchParams.get('state')).toBe(`http://${APP}/orders`);
    const ignored = await ask('/orders', { accept: BROWSER, 'x-forwarded-proto': 'http' });
    expect(new URL(ignored.header('location')!).searchParams.get('state')).toBe(`https://${APP}/orders`);
  });

  it('asks for a fresh login (max_age) when the login is too old', async () => {
    const answer = await ask('/fresh/x', { accept: BROWSER, ...bearer(await withLoginAt(now() - 3600)) });
    expect(answer.status).toBe(302);
    expect(new URL(answer.header('location')!).searchParams.get('max_age')).toBe('300');
  });

  it('keeps 401s for API clients and when Accept is not allowed through; 403s and bad requests never redirect', async () => {
    for (const accept of ['application/json', '*/*']) expect([(await ask('/orders', { accept })).status, (await ask('/orders', { accept })).header('location')]).toEqual([401, undefined]);
    expect((await ask('/orders', { accept: BROWSER }, { ...ENVOY, allowedHeaders: ['cookie'] })).status).toBe(401);
    const forbidden = await ask('/admin/x', { accept: BROWSER, ...bearer(await withLoginAt(now())) });
    expect([forbidden.status, forbidden.header('location')]).toEqual([403, undefined]);
    const malformed = await ask('/orders', { accept: BROWSER, authorization: 'Bearer a b' });
    expect([malformed.status, reasonOf(malformed), malformed.header('location')]).toEqual([401, 'credentials_malformed', undefined]);
    const offList = await ask('/orders', { accept: BROWSER }, ENVOY, 'evil.test');
    expect([offList.status, offList.header('location')]).toEqual([401, undefined]);
  });

  it('brings the browser back from the callback, to allowed hosts only', async () => {
    const back = await ask(`/_authgear/callback?state=${encodeURIComponent(`https://${APP}/orders?page=2`)}`, { accept: BROWSER });
    expect([back.status, back.header('location'), reasonOf(back)]).toEqual([302, `https://${APP}/orders?page=2`, 'login_callback']);
    for (const state of ['//evil.test', 'https://evil.test/', `https://${APP}@evil.test/`, '/%5Cevil.test']) {
      const refused = await ask(`/_authgear/callback?state=${encodeURIComponent(state)}`, { accept: BROWSER });
      expect(refused.header('location') === undefined || new URL(refused.header('location')!).origin === authgear.origin, state).toBe(true);
    }
    const failed = await ask(`/_authgear/callback?error=access_denied&state=${encodeURIComponent(`https://${APP}/`)}`, { accept: BROWSER });
    expect([failed.status, reasonOf(failed), failed.header('location')]).toEqual([403, 'login_failed', undefined]);
    expect(reasonOf(await ask('/_authgear/callback'))).toBe('request_malformed');
  });
});

describe('sessions through ext_authz (the resolver)', () => {
  const identity = (answer: CheckAnswer) => Object.fromEntries(answer.headers.filter(([name]) => name.startsWith('x-authgear-') && name !== REASON_HEADER));

  it('resolves a session cookie into the identity a JWT of the same user gets', async () => {
    const { value, user } = authgear.sessions.issue('session', { roles: ['admin', 'editor'], amr: ['pwd'], authenticatedAt: START - 10 });
    const viaSession = await ask('/orders', { cookie: `theme=dark; session=${value}` });
    expect(viaSession.status).toBe(200);
    expect(gate.decisions.at(-1)).toMatchObject({ via: 'resolver', request: { protocol: 'ext-authz' } });
    const token = await authgear.accessToken({ claims: { sub: user.id, amr: user.amr, auth_time: user.authenticatedAt, [CLAIMS.roles]: user.roles } });
    // A JWT also names its client and scope; a session has neither.
    const { 'x-authgear-client-id': clientId, 'x-authgear-scope': scope, ...viaToken } = identity(await ask('/orders', bearer(token)));
    expect([clientId, scope].every(Boolean)).toBe(true);
    expect(identity(viaSession)).toEqual(viaToken);
  });

  it('names the identity headers a session lacks, so Envoy removes client copies of them', async () => {
    const { value } = authgear.sessions.issue('app_session', { roles: [], amr: [], authenticatedAt: 0 });
    const request: ClientRequest = { path: '/orders', host: APP, headers: { cookie: `app_session=${value}`, 'x-authgear-user-roles': 'admin' } };
    const answer = await check(gate.extAuthzPort!, ENVOY, request);
    expect(answer.header('x-envoy-auth-headers-to-remove')!.split(', ').sort())
      .toEqual(['x-authgear-client-id', 'x-authgear-scope', 'x-authgear-session-authenticated-at', 'x-authgear-user-roles', 'x-authgear-gate-assertion', 'x-id-token', ...ROUTING_HEADERS].sort());
    const outcome = envoyOutcome(ENVOY, request, answer);
    expect(outcome.allowed && outcome.upstreamHeaders).not.toHaveProperty('x-authgear-user-roles');
  });

  it('refuses a dead session with 401 session_invalid and the Set-Cookie that clears it, for the client', async () => {
    const answer = await ask('/orders', { cookie: 'session=expired-session' });
    expect([answer.status, reasonOf(answer)]).toEqual([401, 'session_invalid']);
    expect(answer.headers.filter(([name]) => name === 'set-cookie').map(([, value]) => value)).toEqual([expect.stringMatching(/^session=; .*Max-Age=0/)]);
    expect(answer.header('www-authenticate')).toContain('error="invalid_token"');
  });

  it('sees no session unless the gateway allows Cookie through (Envoy sends only Authorization by default)', async () => {
    const { value } = authgear.sessions.issue('session');
    expect(reasonOf(await ask('/orders', { cookie: `session=${value}` }, { ...ENVOY, allowedHeaders: [] }))).toBe('credentials_missing');
  });

  it('answers 503 when it cannot decide, which Envoy turns into a refusal', async () => {
    authgear.setState('down');
    try {
      const answer = await ask('/orders', { cookie: `session=${authgear.sessions.issue('session').value}` });
      expect([answer.status, reasonOf(answer), answer.header('content-length'), answer.header('retry-after')]).toEqual([503, 'resolver_unavailable', '0', '5']);
      expect(envoyOutcome(ENVOY, { path: '/orders', host: APP }, answer)).toEqual({ allowed: false, status: 403, clientHeaders: [] });
    } finally {
      authgear.setState('up');
    }
  });
});

describe('before the keys are loaded', () => {
  it('answers 503 keys_unavailable on the ext_authz port', async () => {
    const unready = await startTestGate(authgear, { EXT_AUTHZ_PORT: '18081' }, { start: false });
    try {
      const answer = await check(unready.extAuthzPort!, ENVOY, { path: '/orders', host: APP, headers: bearer(await authgear.accessToken()) });
      expect([answer.status, reasonOf(answer), answer.header('content-length')]).toEqual([503, 'keys_unavailable', '0']);
    } finally {
      await unready.close();
    }
  });
});
