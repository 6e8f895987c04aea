import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../src/decision/identity/identity.js';
import { createAuthorizer } from '../../src/decision/policy/authorize.js';
import { DEFAULT_REQUIREMENTS } from '../../src/decision/policy/requirements.js';
import { CLAIMS, RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { reasonOf } from '../support/answers.js';

// A fake clock: the gate, the stand-in's tokens and the test agree on "now", to the second.
const START = 1_800_000_000;
let nowMs: number;
const now = () => Math.floor(nowMs / 1000);

let authgear: AuthgearStandIn;
let gate: TestGate;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  authgear.setClock(now);
  gate = await startTestGate(
    authgear,
    { CLOCK_SKEW_SECONDS: '30', CLIENT_IDS: 'web-client,test-client', ID_TOKEN_HEADER: 'X-Id-Token' },
    { now: () => nowMs },
  );
});
beforeEach(() => {
  // Mid-second on purpose: sub-second time must not shift the bound.
  nowMs = START * 1000 + 999;
});
afterAll(async () => {
  await gate.close();
  await authgear.close();
});
const FRESH_5_MIN = '/auth?max_age=300';
const withLoginAt = (authTime: number, claims: Record<string, unknown> = {}) => authgear.accessToken({ claims: { sub: 'user-1', auth_time: authTime, ...claims } });

describe('max_age against the access token auth_time (skew 30 s)', () => {
  it('allows a login exactly max_age + skew ago', async () => {
    expect((await gate.auth(bearer(await withLoginAt(now() - 330)), FRESH_5_MIN)).status).toBe(200);
  });

  it('refuses a login one second older with the RFC 9470 challenge', async () => {
    const response = await gate.auth(bearer(await withLoginAt(now() - 331)), FRESH_5_MIN);
    expect([response.status, reasonOf(response)]).toEqual([401, 'auth_too_old']);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="authgear-gate", error="insufficient_user_authentication", error_description="[^"]+", max_age="300"$/,
    );
  });

  it('refuses a token without auth_time: freshness that cannot be shown is not assumed', async () => {
    const token = await authgear.accessToken({ omit: ['auth_time'] });
    expect(reasonOf(await gate.auth(bearer(token), FRESH_5_MIN))).toBe('auth_too_old');
    expect((await gate.auth(bearer(token))).status).toBe(200);
  });
});

describe('a login time in the future beyond the skew proves nothing, from every source', () => {
  const cannot = { [CLAIMS.canReauthenticate]: false };

  it('access token auth_time: within the skew counts, beyond it is treated as unknown', async () => {
    expect((await gate.auth(bearer(await withLoginAt(now() + 30)), FRESH_5_MIN)).status).toBe(200);
    for (const ahead of [31, 3600, 10 ** 9]) {
      const response = await gate.auth(bearer(await withLoginAt(now() + ahead)), FRESH_5_MIN);
      expect([response.status, reasonOf(response)]).toEqual([401, 'auth_too_old']);
      expect(response.headers.get('www-authenticate')).toContain('error="insufficient_user_authentication"');
    }
    // ... which is no refusal of the token itself: routes without max_age still take it.
    expect((await gate.auth(bearer(await withLoginAt(now() + 3600)))).status).toBe(200);
  });

  it('follows the rules for users who cannot reauthenticate, as an unknown login time does', async () => {
    const future = await withLoginAt(now() + 3600, cannot);
    expect(reasonOf(await gate.auth(bearer(future), FRESH_5_MIN))).toBe('reauthentication_impossible');
    expect((await gate.auth(bearer(future), `${FRESH_5_MIN}&when_cannot_reauthenticate=allow`)).status).toBe(200);
  });

  it('resolver authenticated-at: a session whose login Authgear dates in the future is not fresh', async () => {
    const cookie = (authenticatedAt: number) => ({ cookie: `session=${authgear.sessions.issue('session', { authenticatedAt }).value}` });
    expect((await gate.auth(cookie(now() + 30), FRESH_5_MIN)).status).toBe(200);
    const resolves = authgear.count(RESOLVE_PATH);
    const response = await gate.auth(cookie(now() + 31), FRESH_5_MIN);
    expect([response.status, reasonOf(response), authgear.count(RESOLVE_PATH) - resolves]).toEqual([401, 'auth_too_old', 1]);
    expect(reasonOf(await gate.auth(cookie(now() + 86_400), FRESH_5_MIN))).toBe('auth_too_old');
  });

  it('ID token auth_time: refused as not fresh, whatever the access token says', async () => {
    const ROUTE = '/auth?max_age=300&freshness_from=id_token';
    const ask = async (authTime: number) =>
      gate.auth({ ...bearer(await withLoginAt(now())), 'x-id-token': await authgear.idToken({ claims: { sub: 'user-1', auth_time: authTime } }) }, ROUTE);
    expect((await ask(now() + 30)).status).toBe(200);
    const response = await ask(now() + 31);
    expect([response.status, reasonOf(response)]).toEqual([401, 'auth_too_old']);
    expect(response.headers.get('www-authenticate')).toContain('max_age="300"');
  });
});

describe('users who cannot reauthenticate', () => {
  const cannot = { [CLAIMS.canReauthenticate]: false };

  it('are refused with 403 reauthentication_impossible by default once stale', async () => {
    const response = await gate.auth(bearer(await withLoginAt(now() - 1000, cannot)), FRESH_5_MIN);
    expect([response.status, reasonOf(response)]).toEqual([403, 'reauthentication_impossible']);
    expect(response.headers.has('www-authenticate')).toBe(false);
  });

  it('are let through stale when the route says when_cannot_reauthenticate=allow', async () => {
    const stale = await withLoginAt(now() - 1000, cannot);
    expect((await gate.auth(bearer(stale), `${FRESH_5_MIN}&when_cannot_reauthenticate=allow`)).status).toBe(200);
    // ... which is no blanket pass: users who can reauthenticate still must.
    expect(reasonOf(await gate.auth(bearer(await withLoginAt(now() - 1000)), `${FRESH_5_MIN}&when_cannot_reauthenticate=allow`))).toBe('auth_too_old');
  });

  it('are let through while fresh under either setting', async () => {
    expect((await gate.auth(bearer(await withLoginAt(now() - 10, cannot)), FRESH_5_MIN)).status).toBe(200);
  });
});

describe('freshness from an Authgear ID token', () => {
  const ROUTE = '/auth?max_age=300&freshness_from=id_token';
  const idToken = (options: Parameters<AuthgearStandIn['idToken']>[0] = {}) =>
    authgear.idToken({ ...options, claims: { sub: 'user-1', auth_time: now() - 10, ...options.claims } });
  const ask = async (idTokenValue: string | undefined, accessLoginAt = now() - 5000) =>
    gate.auth({ ...bearer(await withLoginAt(accessLoginAt)), ...(idTokenValue ? { 'x-id-token': idTokenValue } : {}) }, ROUTE);

  it('allows a fresh ID token of the same user, whatever the access token auth_time', async () => {
    expect((await ask(await idToken())).status).toBe(200);
    expect((await ask(await idToken({ clientId: 'web-client' }))).status).toBe(200);
  });

  it('asks for one when it is missing', async () => {
    const response = await ask(undefined, now());
    expect([response.status, reasonOf(response)]).toEqual([401, 'id_token_required']);
    expect(response.headers.get('www-authenticate')).toContain('max_age="300"');
  });

  it('checks its auth_time against the bound, just inside and just outside', async () => {
    expect((await ask(await idToken({ claims: { auth_time: now() - 330 } }))).status).toBe(200);
    expect(reasonOf(await ask(await idToken({ claims: { auth_time: now() - 331 } })))).toBe('auth_too_old');
  });

  it('refuses an ID token issued to another client (aud)', async () => {
    const response = await ask(await idToken({ clientId: 'someone-else' }));
    expect([response.status, reasonOf(response)]).toEqual([401, 'wrong_audience']);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_user_authentication"');
  });

  it('refuses an expired ID token', async () => {
    const token = await idToken({ now: now() - 400, claims: { auth_time: now() - 400 } });
    expect(reasonOf(await ask(token))).toBe('token_expired');
  });

  it('refuses an ID token of another user', async () => {
    expect(reasonOf(await ask(await idToken({ claims: { sub: 'user-2' } })))).toBe('id_token_mismatch');
  });

  it('refuses an access token, or any typed JWT, in place of an ID token', async () => {
    expect(reasonOf(await ask(await idToken({ header: { typ: 'at+jwt' } })))).toBe('token_type_invalid');
    expect(reasonOf(await ask(await authgear.accessToken({ claims: { sub: 'user-1', aud: ['test-client'] } })))).toBe('token_type_invalid');
  });

  it('refuses an ID token without typ, or with any type but JWT', async () => {
    for (const typ of [undefined, '', 'at+jwt', 'application/at+jwt', 'JOSE', 'JWS', 'id_token+jwt', 'JWT ', 'text/jwt']) {
      const response = await ask(await idToken({ header: { typ } }));
      expect([typ, response.status, reasonOf(response)]).toEqual([typ, 401, 'token_type_invalid']);
    }
  });

  it('takes typ as the media type RFC 7515 makes it: any letter case, "application/" implied', async () => {
    for (const typ of ['JWT', 'jwt', 'Jwt', 'application/jwt', 'Application/JWT']) {
      expect([typ, (await ask(await idToken({ header: { typ } }))).status]).toEqual([typ, 200]);
    }
  });

  it('refuses an ID token issued in the future beyond the skew (iat)', async () => {
    expect((await ask(await idToken({ now: now() + 30 }))).status).toBe(200);
    const response = await ask(await idToken({ now: now() + 31 }));
    expect([response.status, reasonOf(response)]).toEqual([401, 'token_not_yet_valid']);
    expect(reasonOf(await ask(await idToken({ now: now() + 86_400 })))).toBe('token_not_yet_valid');
  });

  it('refuses an ID token that is unsigned, forged or without auth_time', async () => {
    const forger = await authgear.newUnpublishedKey();
    expect(reasonOf(await ask(await idToken({ key: forger })))).toBe('unknown_key');
    expect(reasonOf(await ask(await idToken({ omit: ['auth_time'] })))).toBe('claims_invalid');
    expect(reasonOf(await ask('not-a-jwt'))).toBe('token_malformed');
  });

  it('takes can_reauthenticate from the ID token', async () => {
    const token = await idToken({ claims: { auth_time: now() - 1000, [CLAIMS.canReauthenticate]: false } });
    expect(reasonOf(await ask(token))).toBe('reauthentication_impossible');
    const allowed = await gate.auth({ ...bearer(await withLoginAt(now())), 'x-id-token': token }, `${ROUTE}&when_cannot_reauthenticate=allow`);
    expect(allowed.status).toBe(200);
  });
});

describe('authorize without an ID token verifier', () => {
  it('refuses (policy_invalid) rather than pass a route that needs ID tokens', async () => {
    const authorize = createAuthorizer({ clockSkewSeconds: 0, acceptedAudiences: [], idTokens: undefined });
    const identity: Identity = { kind: 'user', userId: 'u', anonymous: false, verified: true, canReauthenticate: true, roles: [], amr: [], authenticatedAt: START, extraHeaders: [] };
    const requirements = { ...DEFAULT_REQUIREMENTS, maxAuthAge: 60, freshnessFrom: 'id_token' as const };
    await expect(Promise.resolve(authorize({ identity, grant: undefined, claims: undefined }, requirements, START * 1000, 'x.y.z'))).rejects.toMatchObject({ code: 'policy_invalid' });
    expect(authorize({ identity, grant: undefined, claims: undefined }, { ...requirements, freshnessFrom: 'session' }, START * 1000)).toBeUndefined();
  });
});
