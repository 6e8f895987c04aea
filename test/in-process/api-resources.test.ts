import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { valueOf } from '../support/prometheus.js';
import { outcomeOf, reasonOf, REASON_HEADER } from '../support/answers.js';
import { writePolicy } from '../support/policies.js';

// Authgear API resources (RFC 8707), their scopes and M2M clients, through the real listener.
const ORDERS = 'https://api.example.test/orders';
const BILLING = 'https://api.example.test/billing';
const POLICY = `
rules:
  - name: orders
    match: { path_prefix: /orders/ }
    resource: ${ORDERS}
    scopes: [read:orders, write:orders]
    principals: any
  - name: reports
    match: { path_prefix: /reports/ }
    resource: ${ORDERS}
    scopes: { any_of: [read:orders, admin:orders] }
    principals: any
  - name: machines
    match: { path_prefix: /machines/ }
    resource: ${ORDERS}
    principals: clients
  - name: users-of-orders
    match: { path_prefix: /mine/ }
    resource: ${ORDERS}
  - name: fresh
    match: { path_prefix: /fresh/ }
    resource: ${ORDERS}
    principals: any
    max_auth_age: 300
    when_cannot_reauthenticate: allow
  - name: editors
    match: { path_prefix: /editors/ }
    resource: ${ORDERS}
    principals: any
    roles: [editor]
`;

let authgear: AuthgearStandIn;
let gate: TestGate;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  const file = writePolicy(POLICY);
  gate = await startTestGate(authgear, { POLICY_FILE: file, CLAIM_HEADERS: 'tenant=x-authgear-user-tenant,region=x-authgear-app-region' });
});
afterAll(async () => {
  await gate?.close();
  await authgear?.close();
});
const at = (path: string, headers: Record<string, string>) => gate.auth({ ...headers, 'x-original-uri': path });
const outcome = outcomeOf;
const authgearHeaders = (response: Response) =>
  Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-authgear-') && name !== REASON_HEADER));
const machine = (scopes: string[], options: { resource?: string; claims?: Record<string, unknown>; omit?: string[] } = {}) =>
  authgear.machineToken({ resource: options.resource ?? ORDERS, scopes, ...options }).then(bearer);
const userFor = (resource: string, scopes: string[], claims: Record<string, unknown> = {}) =>
  authgear.accessToken({ resource, scopes, claims }).then(bearer);

describe('the stand-in issues what Authgear issues', () => {
  it('an M2M token: aud the resource, client_id, scope, sub client_id_<id>, no user claims', async () => {
    const token = await authgear.machineToken({ resource: ORDERS, scopes: ['read:orders'], clientId: 'batch' });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: authgear.origin, aud: [ORDERS], client_id: 'batch', scope: 'read:orders', sub: 'client_id_batch' });
    expect(Object.keys(claims).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);
  });

  it('a resource-bound user token: aud the resource only, OIDC and resource scopes, user claims', async () => {
    const claims = decodeJwt(await authgear.accessToken({ resource: ORDERS, scopes: ['read:orders'] }));
    expect(claims.aud).toEqual([ORDERS]);
    expect(claims.scope).toBe('openid offline_access read:orders');
    expect(claims).toHaveProperty('auth_time');
    expect(claims).toHaveProperty([CLAIMS.roles]);
  });
});

describe('resource: the token must be issued for this API', () => {
  it('admits a token whose aud holds the resource, and only there', async () => {
    const token = await userFor(ORDERS, ['read:orders', 'write:orders']);
    expect(await outcome(at('/orders/1', token))).toEqual([200, 'allowed']);
    // Its aud is the resource ONLY: a route without a resource (ACCEPTED_AUDIENCES) refuses it.
    expect(await outcome(at('/other', token))).toEqual([401, 'wrong_audience']);
  });

  it('replaces ACCEPTED_AUDIENCES: a token for the project origin is refused on a resource route', async () => {
    const token = bearer(await authgear.accessToken({ claims: { scope: 'read:orders write:orders' } }));
    expect(await outcome(at('/other', token))).toEqual([200, 'allowed']);
    expect(await outcome(at('/orders/1', token))).toEqual([401, 'wrong_audience']);
  });

  it('compares as a string: a trailing slash or another resource is another resource', async () => {
    for (const resource of [`${ORDERS}/`, BILLING, 'https://API.example.test/orders', ORDERS.replace('https', 'http')]) {
      expect(await outcome(at('/orders/1', await userFor(resource, ['read:orders', 'write:orders']))), resource).toEqual([401, 'wrong_audience']);
    }
    // Scopes are the resource's own: billing's read:orders is not orders'.
    expect(await outcome(at('/machines/1', await machine(['read:orders'], { resource: BILLING })))).toEqual([401, 'wrong_audience']);
  });

  it('takes aud as a string or an array holding the resource among others', async () => {
    const scopes = 'read:orders write:orders';
    for (const aud of [ORDERS, [BILLING, ORDERS]]) {
      expect(await outcome(at('/orders/1', bearer(await authgear.accessToken({ claims: { aud, scope: scopes } })))), String(aud)).toEqual([200, 'allowed']);
    }
    for (const aud of [[], [[ORDERS]], { ORDERS }, 42]) {
      expect(await outcome(at('/orders/1', bearer(await authgear.accessToken({ claims: { aud, scope: scopes } })))), JSON.stringify(aud)).toEqual([401, 'wrong_audience']);
    }
    expect(await outcome(at('/orders/1', bearer(await authgear.accessToken({ omit: ['aud'], claims: { scope: scopes } }))))).toEqual([401, 'wrong_audience']);
  });

  it('judges a cached token on every route: no acceptance carries over, in either order', async () => {
    const before = valueOf(await (await gate.request('/metrics')).text(), 'authgear_gate_cache_lookups_total', { cache: 'token', outcome: 'hit' });
    const forOrders = await userFor(ORDERS, ['read:orders', 'write:orders']);
    const forOrigin = bearer(await authgear.accessToken({ claims: { scope: 'read:orders write:orders' } }));
    expect(await outcome(at('/orders/1', forOrders))).toEqual([200, 'allowed']);
    expect(await outcome(at('/other', forOrders))).toEqual([401, 'wrong_audience']);
    expect(await outcome(at('/orders/2', forOrders))).toEqual([200, 'allowed']);
    expect(await outcome(at('/other', forOrigin))).toEqual([200, 'allowed']);
    expect(await outcome(at('/orders/1', forOrigin))).toEqual([401, 'wrong_audience']);
    expect(await outcome(at('/other', forOrigin))).toEqual([200, 'allowed']);
    // Each token was verified once; the four later answers came from the cache.
    const after = valueOf(await (await gate.request('/metrics')).text(), 'authgear_gate_cache_lookups_total', { cache: 'token', outcome: 'hit' });
    expect(after - before).toBe(4);
  });
});

describe('scopes', () => {
  it('a list needs every scope; a token short of one gets 403 and the RFC 6750 challenge', async () => {
    expect(await outcome(at('/orders/1', await userFor(ORDERS, ['write:orders', 'read:orders'])))).toEqual([200, 'allowed']);
    for (const scopes of [['read:orders'], [], ['read:orders2', 'write:orders'], ['READ:ORDERS', 'write:orders']]) {
      const response = await at('/orders/1', await userFor(ORDERS, scopes));
      expect([response.status, reasonOf(response)], scopes.join()).toEqual([403, 'insufficient_scope']);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="authgear-gate", error="insufficient_scope", error_description="[^"]+", scope="read:orders write:orders"$/);
      // nginx passes a 403's headers nowhere: it gets the challenge in a header protect.conf copies.
      expect(response.headers.get('x-gate-www-authenticate')).toBe(response.headers.get('www-authenticate'));
    }
  });

  it('any_of needs one of them, and the challenge names each that would do', async () => {
    expect(await outcome(at('/reports/1', await userFor(ORDERS, ['admin:orders'])))).toEqual([200, 'allowed']);
    expect(await outcome(at('/reports/1', await machine(['read:orders'])))).toEqual([200, 'allowed']);
    const response = await at('/reports/1', await userFor(ORDERS, ['write:orders']));
    expect([response.status, reasonOf(response)]).toEqual([403, 'insufficient_scope']);
    expect(response.headers.get('www-authenticate')).toContain('scope="read:orders admin:orders"');
  });

  it('refuses a scope or client_id claim that is not a string rather than guess', async () => {
    for (const claims of [{ scope: ['read:orders', 'write:orders'] }, { scope: 7 }, { client_id: ['a'] }, { client_id: '' }]) {
      expect(await outcome(at('/other', bearer(await authgear.accessToken({ claims })))), JSON.stringify(claims)).toEqual([401, 'claims_invalid']);
    }
  });

  it('sends the challenge header for nginx on 403s only, never to ForwardAuth, never on a 401', async () => {
    const token = await userFor(ORDERS, []);
    const forwardAuth = await gate.request('/auth', {
      headers: { ...token, 'x-forwarded-uri': '/orders/1', 'x-forwarded-method': 'GET', 'x-forwarded-host': 'app.example.test', 'x-forwarded-proto': 'https' },
    });
    expect([forwardAuth.status, reasonOf(forwardAuth)]).toEqual([403, 'insufficient_scope']);
    expect(forwardAuth.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(forwardAuth.headers.has('x-gate-www-authenticate')).toBe(false);
    const unauthenticated = await at('/orders/1', {});
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.has('x-gate-www-authenticate')).toBe(false);
    const missingRole = await at('/editors/1', await userFor(ORDERS, []));
    expect([missingRole.status, missingRole.headers.has('www-authenticate'), missingRole.headers.has('x-gate-www-authenticate')]).toEqual([403, false, false]);
  });
});

describe('principals: users, machine clients, or both', () => {
  it('admits a machine client where clients may pass, with no user header in the answer', async () => {
    const response = await at('/machines/1', await machine(['read:orders', 'write:orders'], { claims: { tenant: 't1', region: 'eu' } }));
    expect([response.status, reasonOf(response)]).toEqual([200, null]);
    expect(authgearHeaders(response)).toEqual({
      'x-authgear-session-valid': 'true',
      'x-authgear-client-id': 'm2m-client',
      'x-authgear-scope': 'read:orders write:orders',
      // A mapped claim is passed, unless its header would describe a user (x-authgear-user-tenant).
      'x-authgear-app-region': 'eu',
    });
  });

  it('refuses a machine client on a users route, and a user on a clients route (principal_not_allowed)', async () => {
    expect(await outcome(at('/mine/1', await machine(['read:orders'])))).toEqual([403, 'principal_not_allowed']);
    expect(await outcome(at('/mine/1', await userFor(ORDERS, [])))).toEqual([200, 'allowed']);
    expect(await outcome(at('/machines/1', await userFor(ORDERS, [])))).toEqual([403, 'principal_not_allowed']);
  });

  it('no longer lets an M2M token with an accepted aud pass as a user named client_id_...', async () => {
    const accepting = await startTestGate(authgear, { ACCEPTED_AUDIENCES: `${authgear.origin},${ORDERS}` });
    try {
      const response = await accepting.auth(await machine(['read:orders']));
      expect([response.status, reasonOf(response)]).toEqual([403, 'principal_not_allowed']);
      expect(response.headers.has('x-authgear-user-id')).toBe(false);
      expect(accepting.decisions.at(-1)).toMatchObject({ principal: 'client', code: 'principal_not_allowed' });
      expect((await accepting.auth(await machine(['read:orders']), '/auth?principals=clients')).status).toBe(200);
    } finally {
      await accepting.close();
    }
  });

  it('admits both where principals is any, each with its own headers', async () => {
    const user = await at('/orders/1', await userFor(ORDERS, ['read:orders', 'write:orders'], { sub: 'u-7', tenant: 't1' }));
    expect(authgearHeaders(user)).toMatchObject({ 'x-authgear-user-id': 'u-7', 'x-authgear-client-id': 'test-client', 'x-authgear-scope': 'openid offline_access read:orders write:orders', 'x-authgear-user-tenant': 't1' });
    const client = await at('/orders/1', await machine(['read:orders', 'write:orders'], { claims: { tenant: 't1' } }));
    expect(client.status).toBe(200);
    expect(Object.keys(authgearHeaders(client)).filter((name) => name.startsWith('x-authgear-user-') || name.startsWith('x-authgear-session-') && name !== 'x-authgear-session-valid')).toEqual([]);
  });

  it('refuses a token that mixes a machine subject with anything a user has, on every route', async () => {
    const forged = [
      { claims: { auth_time: 1700000000 } },
      { claims: { amr: ['pwd'] } },
      { claims: { [CLAIMS.roles]: ['editor'] } },
      { claims: { [CLAIMS.verified]: true } },
      { claims: { 'https://authgear.com/claims/user/anything': 1 } },
      { claims: { client_id: 'other' } },
      { omit: ['client_id'] },
      { claims: { sub: 'client_id_' } },
      { claims: { sub: 'client_id_m2m-client2' } },
    ];
    for (const options of forged) {
      const token = await machine(['read:orders', 'write:orders'], options);
      for (const path of ['/orders/1', '/machines/1', '/mine/1']) {
        expect(await outcome(at(path, token)), `${JSON.stringify(options)} ${path}`).toEqual([401, 'claims_invalid']);
      }
    }
  });

  it('keeps user requirements for users: a client has no roles and never logged in', async () => {
    expect(await outcome(at('/editors/1', await machine([])))).toEqual([403, 'missing_role']);
    expect(await outcome(at('/editors/1', await userFor(ORDERS, [], { [CLAIMS.roles]: ['editor'] })))).toEqual([200, 'allowed']);
    // when_cannot_reauthenticate: allow is about users who cannot log in again; a machine never logged in.
    expect(await outcome(at('/fresh/1', await machine([])))).toEqual([403, 'principal_not_allowed']);
    expect(await outcome(at('/fresh/1', await userFor(ORDERS, [])))).toEqual([200, 'allowed']);
    expect(await outcome(at('/mine/1', await userFor(ORDERS, [], { [CLAIMS.verified]: false })))).toEqual([200, 'allowed']);
    expect(await outcome(gate.auth(await machine([]), '/auth?require_verified=true&principals=any&resource=https://api.example.test/orders'))).toEqual([403, 'unverified_user']);
  });

  it('makes the client id and scope header-safe, like every claim', async () => {
    const token = await authgear.machineToken({ resource: ORDERS, scopes: ['read:orders', 'write:orders'], clientId: 'évil\r\nx-authgear-user-id: admin' });
    const response = await at('/machines/1', bearer(token));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-authgear-client-id')).toBe('%C3%A9vil%0D%0Ax-authgear-user-id: admin');
    expect(response.headers.has('x-authgear-user-id')).toBe(false);
    const scoped = await at('/other', bearer(await authgear.accessToken({ claims: { scope: 'a\u0000b  c%' } })));
    expect(scoped.headers.get('x-authgear-scope')).toBe('a%00b c%25');
  });
});
