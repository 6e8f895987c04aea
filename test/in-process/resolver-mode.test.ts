import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOriginalRequest } from '../../src/gateways/auth-request.js';
import { CLAIMS, RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { reasonOf, REASON_HEADER } from '../support/answers.js';

let authgear: AuthgearStandIn;
let gate: TestGate;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear);
});
afterAll(async () => {
  await gate.close();
  await authgear.close();
});
const identityHeaders = (response: Response) => Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-authgear-') && name !== REASON_HEADER));
const resolverCalls = () => authgear.count(RESOLVE_PATH);

describe('auto mode (the default)', () => {
  it('resolves a session cookie into exactly the identity headers a JWT of the same user gets', async () => {
    const { value, user } = authgear.sessions.issue('session', { roles: ['admin', 'editor'], amr: ['pwd', 'otp'], authenticatedAt: 1700000000 });
    const response = await gate.auth({ cookie: `session=${value}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('0');
    expect(gate.decisions.at(-1)?.via).toBe('resolver');
    const token = await authgear.accessToken({ claims: { sub: user.id, amr: user.amr, auth_time: user.authenticatedAt, [CLAIMS.roles]: user.roles } });
    const { 'x-authgear-client-id': clientId, 'x-authgear-scope': scope, ...viaJwt } = identityHeaders(await gate.auth(bearer(token)));
    expect(identityHeaders(response)).toEqual(viaJwt);
    // Only a JWT says which client it was issued to and with which scopes; the resolver does not.
    expect([clientId, scope]).toEqual(['test-client', 'openid offline_access https://authgear.com/scopes/full-access']);
    expect(viaJwt).toMatchObject({ 'x-authgear-user-id': user.id, 'x-authgear-user-roles': 'admin,editor', 'x-authgear-session-amr': 'pwd otp' });
  });

  it('keeps absent what Authgear leaves absent (no roles, no authentication time)', async () => {
    const { value } = authgear.sessions.issue('app_session', { roles: [], amr: [], authenticatedAt: 0 });
    const headers = identityHeaders(await gate.auth({ cookie: `app_session=${value}` }));
    expect(headers).not.toHaveProperty('x-authgear-user-roles');
    expect(headers).not.toHaveProperty('x-authgear-session-authenticated-at');
    expect(headers['x-authgear-session-amr']).toBe('');
  });

  it('resolves an opaque bearer token, but verifies a JWT here without asking the resolver', async () => {
    const { value, user } = authgear.sessions.issue('bearer');
    expect((await gate.auth(bearer(value))).headers.get('x-authgear-user-id')).toBe(user.id);
    const before = resolverCalls();
    expect((await gate.auth(bearer(await authgear.accessToken()))).status).toBe(200);
    expect(resolverCalls()).toBe(before);
    expect(gate.decisions.at(-1)?.via).toBe('jwt');
  });

  it('sends the resolver only the Authorization header and the Authgear cookies, with the public Host', async () => {
    const { value: opaque } = authgear.sessions.issue('bearer');
    const { value: session } = authgear.sessions.issue('session');
    const response = await gate.auth({
      ...bearer(opaque),
      cookie: `theme=dark; session=${session}; csrf=abc; app_access_token=other-token; tracking=1`,
      'x-forwarded-for': '203.0.113.9',
      'x-original-uri': '/secret?q=1',
    });
    expect(response.status).toBe(200);
    const sent = authgear.sessions.requests.at(-1)!;
    expect(sent.cookie).toBe(`app_access_token=other-token; session=${session}`);
    expect(sent.authorization).toBe(`Bearer ${opaque}`);
    expect(sent.host).toBe(new URL(authgear.origin).host);
    expect(sent['x-forwarded-proto']).toBe('http');
    expect(Object.keys(sent).filter((name) => !['authorization', 'cookie', 'host', 'x-forwarded-proto', 'connection'].includes(name))).toEqual([]);
  });

  it('refuses a dead session with 401 session_invalid, passing the clearing Set-Cookie to the browser', async () => {
    const response = await gate.auth({ cookie: 'session=expired-session; theme=dark' });
    expect(response.status).toBe(401);
    expect(reasonOf(response)).toBe('session_invalid');
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^session=; .*Max-Age=0/)]);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it("passes back only Set-Cookie lines for Authgear's own cookies", async () => {
    const custom = await startAuthgearStandIn();
    custom.handlers.set(RESOLVE_PATH, (_req, res) => res.writeHead(200, {
      'x-authgear-session-valid': 'false',
      'set-cookie': ['session=; Path=/; Max-Age=0', 'tracking=evil; Path=/', 'app_session=; Path=/; Max-Age=0'],
      'content-length': 0,
    }).end());
    const gate = await startTestGate(custom);
    expect((await gate.auth({ cookie: 'session=dead' })).headers.getSetCookie()).toEqual(['session=; Path=/; Max-Age=0', 'app_session=; Path=/; Max-Age=0']);
    await gate.close();
    await custom.close();
  });

  it('refuses an unknown opaque token and a disabled user, without Set-Cookie', async () => {
    const unknown = await gate.auth(bearer('opaque-token-authgear-never-issued'));
    expect([unknown.status, reasonOf(unknown), unknown.headers.getSetCookie()]).toEqual([401, 'session_invalid', []]);
    const { value, user } = authgear.sessions.issue('bearer');
    authgear.sessions.disableUser(user.id);
    expect(reasonOf(await gate.auth(bearer(value)))).toBe('session_invalid');
  });

  it('answers credentials_missing without calling the resolver when only the app has cookies', async () => {
    const before = resolverCalls();
    const response = await gate.auth({ cookie: 'theme=dark; sessionid=not-authgear' });
    expect(response.status).toBe(401);
    expect(reasonOf(response)).toBe('credentials_missing');
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="authgear-gate"');
    expect(resolverCalls()).toBe(before);
  });
});

describe('jwt mode', () => {
  it('never calls the resolver: cookies alone are missing credentials, an opaque token is malformed', async () => {
    const jwtOnly = await startTestGate(authgear, { AUTH_MODE: 'jwt' });
    const before = resolverCalls();
    const { value } = authgear.sessions.issue('session');
    expect(reasonOf(await jwtOnly.auth({ cookie: `session=${value}` }))).toBe('credentials_missing');
    expect(reasonOf(await jwtOnly.auth(bearer('opaque-token')))).toBe('token_malformed');
    expect((await jwtOnly.auth(bearer(await authgear.accessToken()))).status).toBe(200);
    expect(resolverCalls()).toBe(before);
    await jwtOnly.close();
  });
});

describe('resolver mode', () => {
  it('sends JWTs to the resolver too, which sees a revocation the JWT itself cannot show', async () => {
    const exact = await startTestGate(authgear, { AUTH_MODE: 'resolver' });
    const jti = crypto.randomUUID();
    const token = await authgear.accessToken({ claims: { jti } });
    expect((await exact.auth(bearer(token))).status).toBe(200);
    expect(exact.decisions.at(-1)?.via).toBe('resolver');
    authgear.sessions.revoke(jti);
    const fresh = await startTestGate(authgear, { AUTH_MODE: 'resolver' });
    expect(reasonOf(await fresh.auth(bearer(token)))).toBe('session_invalid');
    // The documented trade-off: a JWT verified locally stays valid until exp.
    expect((await gate.auth(bearer(token))).status).toBe(200);
    await Promise.all([exact.close(), fresh.close()]);
  });

  it('is what a route asking for it gets (mode=resolver on the auth URL), the other routes staying local', async () => {
    const jti = crypto.randomUUID();
    const token = await authgear.accessToken({ claims: { jti } });
    authgear.sessions.revoke(jti);
    expect(reasonOf(await gate.auth(bearer(token), '/auth?mode=resolver'))).toBe('session_invalid');
    expect((await gate.auth(bearer(token))).status).toBe(200);
  });

  it('can be chosen per request, whatever the configured mode', async () => {
    const jti = crypto.randomUUID();
    const token = await authgear.accessToken({ claims: { jti } });
    authgear.sessions.revoke(jti);
    const credentials = { bearer: token, cookies: [] };
    // The answer may come synchronously (and a denial be thrown): await it either way.
    const authenticate = async (...args: Parameters<typeof gate.authenticator.authenticate>) => gate.authenticator.authenticate(...args);
    await expect(authenticate(credentials)).resolves.toMatchObject({ via: 'jwt' });
    await expect(authenticate(credentials, { mode: 'resolver' })).rejects.toMatchObject({ code: 'session_invalid' });
    const { value } = authgear.sessions.issue('session');
    // No credentials the mode can use: a refusal returned, not thrown (the commonest one costs no throw).
    await expect(authenticate({ bearer: undefined, cookies: [{ name: 'session', value }] }, { mode: 'jwt' })).resolves.toMatchObject({ code: 'credentials_missing', status: 401 });
  });
});

describe('configuration of the resolver', () => {
  it('honours AUTHGEAR_COOKIE_PREFIX and ignores unprefixed cookies', async () => {
    const prefixedAuthgear = await startAuthgearStandIn({ cookiePrefix: 'myapp_' });
    const prefixed = await startTestGate(prefixedAuthgear, { AUTHGEAR_COOKIE_PREFIX: 'myapp_' });
    const { value, user } = prefixedAuthgear.sessions.issue('session');
    expect((await prefixed.auth({ cookie: `myapp_session=${value}` })).headers.get('x-authgear-user-id')).toBe(user.id);
    expect(reasonOf(await prefixed.auth({ cookie: `session=${value}` }))).toBe('credentials_missing');
    expect((await prefixed.auth({ cookie: 'myapp_session=dead' })).headers.getSetCookie()[0]).toMatch(/^myapp_session=;/);
    await prefixed.close();
    await prefixedAuthgear.close();
  });

  it('reaches an in-cluster RESOLVER_URL with the public Host and X-Forwarded-Proto: https', async () => {
    const internal = await startAuthgearStandIn({ publicOrigin: 'https://auth.example.test' });
    const routed = await startTestGate(internal, { RESOLVER_URL: internal.url, AUTH_MODE: 'resolver' });
    const token = await internal.accessToken();
    expect((await routed.auth(bearer(token))).status).toBe(200);
    const sent = internal.sessions.requests.at(-1)!;
    expect([sent.host, sent['x-forwarded-proto']]).toEqual(['auth.example.test', 'https']);
    await routed.close();
    await internal.close();
  });
});
