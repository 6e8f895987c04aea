import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';

/**
 * The stand-in's resolver is what every resolver test believes Authgear does, so each
 * outcome of Authgear's /_resolver/resolve (read from Authgear's server source: GET or HEAD
 * only, always 200 with an empty body and the verdict in X-Authgear-* headers, never 401) is
 * pinned here first.
 */
let authgear: AuthgearStandIn;
let prefixed: AuthgearStandIn;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  prefixed = await startAuthgearStandIn({ cookiePrefix: 'myapp_' });
});
afterAll(async () => {
  await authgear.close();
  await prefixed.close();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function resolve(headers: Record<string, string> = {}, options: { method?: string; standIn?: AuthgearStandIn } = {}): Promise<Answer> {
  const standIn = options.standIn ?? authgear;
  return new Promise((done, fail) => {
    const request = http.request(`${standIn.url}${RESOLVE_PATH}`, { method: options.method ?? 'GET', agent: false, headers: { host: new URL(standIn.origin).host, ...headers } }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => done({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', fail);
    request.end();
  });
}

const authgearHeaders = (answer: Answer) => Object.fromEntries(Object.entries(answer.headers).filter(([name]) => name.startsWith('x-authgear-')));

describe("the stand-in's /_resolver/resolve", () => {
  it('answers GET and HEAD only (405 otherwise), always with an empty body', async () => {
    const { value } = authgear.sessions.issue('session');
    expect((await resolve({ cookie: `session=${value}` }, { method: 'POST' })).status).toBe(405);
    const head = await resolve({ cookie: `session=${value}` }, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['x-authgear-session-valid']).toBe('true');
    expect((await resolve({ cookie: `session=${value}` })).body).toBe('');
  });

  it('picks the project by Host: an unknown host is a 404, not a redirect', async () => {
    const answer = await resolve({ host: 'other.example.test' });
    expect(answer.status).toBe(404);
    expect(answer.headers.location).toBeUndefined();
  });

  it('answers a valid session with every user header', async () => {
    const { value, user } = authgear.sessions.issue('session', { roles: ['admin', 'editor'], amr: ['pwd', 'totp'], authenticatedAt: 1700000000 });
    const answer = await resolve({ cookie: `theme=dark; session=${value}` });
    expect(answer.status).toBe(200);
    expect(authgearHeaders(answer)).toEqual({
      'x-authgear-session-valid': 'true',
      'x-authgear-user-id': user.id,
      'x-authgear-user-anonymous': 'false',
      'x-authgear-user-verified': 'true',
      'x-authgear-user-can-reauthenticate': 'true',
      'x-authgear-user-roles': 'admin,editor',
      'x-authgear-session-amr': 'pwd totp',
      'x-authgear-session-authenticated-at': '1700000000',
    });
  });

  it('leaves out roles when there are none and authenticated-at when it is zero; amr may be empty', async () => {
    const { value } = authgear.sessions.issue('session', { roles: [], amr: [], authenticatedAt: 0, anonymous: true });
    const headers = authgearHeaders(await resolve({ cookie: `session=${value}` }));
    expect(headers).not.toHaveProperty('x-authgear-user-roles');
    expect(headers).not.toHaveProperty('x-authgear-session-authenticated-at');
    expect(headers['x-authgear-session-amr']).toBe('');
    expect(headers['x-authgear-user-anonymous']).toBe('true');
  });

  it('sends no x-authgear header at all without credentials, or for a bad bearer alone', async () => {
    expect(authgearHeaders(await resolve())).toEqual({});
    expect(authgearHeaders(await resolve({ authorization: 'Bearer unknown-opaque-token' }))).toEqual({});
    const { value } = authgear.sessions.issue('bearer');
    authgear.sessions.revoke(value);
    expect(authgearHeaders(await resolve({ authorization: `Bearer ${value}` }))).toEqual({});
  });

  it('marks an invalid session cookie invalid and clears it with Set-Cookie', async () => {
    const answer = await resolve({ cookie: 'session=forged-session-id' });
    expect(answer.status).toBe(200);
    expect(authgearHeaders(answer)).toEqual({ 'x-authgear-session-valid': 'false' });
    expect(answer.headers['set-cookie']).toEqual([expect.stringMatching(/^session=; .*Max-Age=0/)]);
  });

  it('marks a disabled user invalid', async () => {
    const { value, user } = authgear.sessions.issue('bearer');
    authgear.sessions.disableUser(user.id);
    const answer = await resolve({ authorization: `Bearer ${value}` });
    expect(authgearHeaders(answer)).toEqual({ 'x-authgear-session-valid': 'false' });
    expect(answer.headers['set-cookie']).toBeUndefined();
  });

  it('takes the bearer, then app_session, app_access_token and the session cookie, in that order', async () => {
    const [bearer, appSession, appAccessToken, session] = (['bearer', 'app_session', 'app_access_token', 'session'] as const).map((kind) => authgear.sessions.issue(kind));
    const cookie = `session=${session!.value}; app_access_token=${appAccessToken!.value}; app_session=${appSession!.value}`;
    const userOf = async (headers: Record<string, string>) => (await resolve(headers)).headers['x-authgear-user-id'];
    expect(await userOf({ authorization: `Bearer ${bearer!.value}`, cookie })).toBe(bearer!.user.id);
    expect(await userOf({ cookie })).toBe(appSession!.user.id);
    expect(await userOf({ cookie: `session=${session!.value}; app_access_token=${appAccessToken!.value}` })).toBe(appAccessToken!.user.id);
    expect(await userOf({ authorization: 'Bearer revoked-or-unknown', cookie: `session=${session!.value}` })).toBe(session!.user.id);
  });

  it('checks a JWT bearer with aud = the origin of its own request (Host + X-Forwarded-Proto)', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'jwt-user' } });
    expect((await resolve({ authorization: `Bearer ${token}` })).headers['x-authgear-user-id']).toBe('jwt-user');
    expect(authgearHeaders(await resolve({ authorization: `Bearer ${token}`, 'x-forwarded-proto': 'https' }))).toEqual({});
  });

  it('honours the configured cookie prefix', async () => {
    const { value, user } = prefixed.sessions.issue('session');
    expect((await resolve({ cookie: `myapp_session=${value}` }, { standIn: prefixed })).headers['x-authgear-user-id']).toBe(user.id);
    expect(authgearHeaders(await resolve({ cookie: `session=${value}` }, { standIn: prefixed }))).toEqual({});
    expect((await resolve({ cookie: 'myapp_session=dead' }, { standIn: prefixed })).headers['set-cookie']?.[0]).toMatch(/^myapp_session=;/);
  });

  it('never answers 401, and counts and records every call', async () => {
    const before = authgear.count(RESOLVE_PATH);
    const answers = await Promise.all([resolve(), resolve({ cookie: 'session=x' }), resolve({ authorization: 'Bearer y' })]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(authgear.count(RESOLVE_PATH)).toBe(before + 3);
    expect(authgear.sessions.requests.at(-1)).toHaveProperty('host');
  });
});
