import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIMS, RESOLVE_PATH, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { seenByApp as seen, startGatewayStack, type GatewayStack } from '../support/gateway-stack.js';
import { httpGet } from '../support/processes.js';

let stack: GatewayStack;
let authgear: AuthgearStandIn;
let gateways: GatewayStack['gateways'];

beforeAll(async () => {
  stack = await startGatewayStack();
  ({ authgear, gateways } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

describe.each(['nginx', 'caddy'] as const)('through real %s', (name) => {
  const url = (path: string) => `${gateways[name].url}${path}`;

  it('lets a valid token through with the identity headers, replacing client-sent ones', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-42', [CLAIMS.roles]: ['editor'] } });
    const answer = await httpGet(url('/api/orders?page=2'), {
      authorization: `Bearer ${token}`,
      'x-authgear-user-id': 'admin',
      'x-authgear-session-authenticated-at': '9999999999',
    });
    expect(answer.status).toBe(200);
    const upstream = seen(answer.body);
    expect(upstream.url).toBe('/api/orders?page=2');
    expect(upstream.headers['x-authgear-user-id']).toBe('user-42');
    expect(upstream.headers['x-authgear-session-valid']).toBe('true');
    expect(upstream.headers['x-authgear-user-roles']).toBe('editor');
    expect(upstream.headers['x-authgear-session-amr']).toBe('pwd');
    expect(upstream.headers['x-authgear-session-authenticated-at']).not.toBe('9999999999');
  });

  it('never passes a spoofed header the sidecar did not set (no roles, roles spoofed)', async () => {
    const token = await authgear.accessToken({ claims: { [CLAIMS.roles]: [] } });
    const answer = await httpGet(url('/api/x'), { authorization: `Bearer ${token}`, 'x-authgear-user-roles': 'admin' });
    expect(answer.status).toBe(200);
    expect(seen(answer.body).headers['x-authgear-user-roles'], JSON.stringify(seen(answer.body).headers)).toBeUndefined();
  });

  it('answers 401 with the challenge when there is no token', async () => {
    const answer = await httpGet(url('/api/x'));
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="authgear-gate"');
  });

  it('answers 401 invalid_token for a bad token, and the app never sees the request', async () => {
    const answer = await httpGet(url('/api/x'), { authorization: 'Bearer not.a.jwt' });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(answer.body).not.toContain('"headers"');
  });

  it('clears identity headers on a public location', async () => {
    const answer = await httpGet(url('/healthz'), { 'x-authgear-user-id': 'admin' });
    expect(answer.status).toBe(200);
    expect(seen(answer.body).headers).not.toHaveProperty('x-authgear-user-id');
  });
});

// Browser sessions: cookie -> sidecar -> Authgear's resolver -> identity at the app.
describe.each(['nginx', 'caddy'] as const)('a browser session through real %s', (name) => {
  const url = (path: string) => `${gateways[name].url}${path}`;

  it('reaches the app with the identity Authgear resolved, the app keeping its own cookies', async () => {
    const { value, user } = authgear.sessions.issue('session', { roles: ['editor'], amr: ['pwd', 'totp'] });
    const answer = await httpGet(url('/orders?page=2'), { cookie: `theme=dark; session=${value}`, 'x-authgear-user-id': 'admin', 'x-authgear-user-roles': 'admin' });
    expect(answer.status).toBe(200);
    const upstream = seen(answer.body);
    expect(upstream.url).toBe('/orders?page=2');
    expect(upstream.headers['x-authgear-user-id']).toBe(user.id);
    expect(upstream.headers['x-authgear-session-valid']).toBe('true');
    expect(upstream.headers['x-authgear-user-roles']).toBe('editor');
    expect(upstream.headers['x-authgear-session-amr']).toBe('pwd totp');
    expect(upstream.headers.cookie).toBe(`theme=dark; session=${value}`);
  });

  it('passes an opaque access token through the resolver too, and drops spoofed roles', async () => {
    const { value, user } = authgear.sessions.issue('bearer', { roles: [] });
    const answer = await httpGet(url('/api/x'), { authorization: `Bearer ${value}`, 'x-authgear-user-roles': 'admin' });
    expect(answer.status).toBe(200);
    expect(seen(answer.body).headers['x-authgear-user-id']).toBe(user.id);
    expect(seen(answer.body).headers).not.toHaveProperty('x-authgear-user-roles');
  });

  it('answers a dead session with 401 and the clearing Set-Cookie, and the app never sees it', async () => {
    const before = authgear.count(RESOLVE_PATH);
    const answer = await httpGet(url('/orders'), { cookie: `theme=dark; session=dead-${name}` });
    expect(answer.status).toBe(401);
    expect(answer.headers['set-cookie']).toEqual([expect.stringMatching(/^session=; .*Max-Age=0/)]);
    expect(answer.body).not.toContain('"headers"');
    expect(authgear.count(RESOLVE_PATH)).toBe(before + 1);
  });

  it('sends no Set-Cookie of its own on an allowed request', async () => {
    const { value } = authgear.sessions.issue('session');
    const answer = await httpGet(url('/orders'), { cookie: `session=${value}` });
    expect(answer.status).toBe(200);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });
});

// An API registered in Authgear as a resource (the shipped /inventory/ location: resource,
// scopes=read:inventory, principals=any), and what reaches the app of each kind of caller.
const INVENTORY = 'https://api.example.com/inventory';
const FORGED = { 'x-authgear-user-id': 'admin', 'x-authgear-user-roles': 'admin', 'x-authgear-client-id': 'forged-client', 'x-authgear-scope': 'admin:everything' };
const authgearSeen = (body: string) => Object.fromEntries(Object.entries(seen(body).headers).filter(([name]) => name.startsWith('x-authgear-')));

describe.each(['nginx', 'caddy'] as const)('API resources and machine clients through real %s', (name) => {
  const url = (path: string) => `${gateways[name].url}${path}`;

  it('lets a machine client in with its client and scope, and NO user header at all, forged ones dropped', async () => {
    const token = await authgear.machineToken({ resource: INVENTORY, scopes: ['read:inventory', 'write:inventory'], clientId: 'warehouse' });
    const answer = await httpGet(url('/inventory/items?page=2'), { authorization: `Bearer ${token}`, ...FORGED, 'x-authgear-user-anonymous': 'false', 'x-authgear-session-amr': 'pwd' });
    expect(answer.status).toBe(200);
    expect(seen(answer.body).url).toBe('/inventory/items?page=2');
    expect(authgearSeen(answer.body)).toEqual({
      'x-authgear-session-valid': 'true',
      'x-authgear-client-id': 'warehouse',
      'x-authgear-scope': 'read:inventory write:inventory',
    });
  });

  it('lets a user\'s resource-bound token in as the user, with the sidecar\'s client and scope', async () => {
    const token = await authgear.accessToken({ resource: INVENTORY, scopes: ['read:inventory'], claims: { sub: 'user-9' } });
    const answer = await httpGet(url('/inventory/items'), { authorization: `Bearer ${token}`, ...FORGED });
    expect(answer.status).toBe(200);
    expect(authgearSeen(answer.body)).toMatchObject({ 'x-authgear-user-id': 'user-9', 'x-authgear-client-id': 'test-client', 'x-authgear-scope': 'openid offline_access read:inventory' });
    expect(authgearSeen(answer.body)).not.toHaveProperty('x-authgear-user-roles');
  });

  it('answers a token without the scope 403 with the RFC 6750 insufficient_scope challenge', async () => {
    const token = await authgear.machineToken({ resource: INVENTORY, scopes: ['write:inventory'] });
    const answer = await httpGet(url('/inventory/items'), { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(403);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="authgear-gate", error="insufficient_scope", .*scope="read:inventory"$/);
    expect(answer.body).not.toContain('"headers"');
  });

  it('refuses tokens of another resource, and a machine client on a route without a resource (401)', async () => {
    const other = await authgear.machineToken({ resource: `${INVENTORY}/`, scopes: ['read:inventory'] });
    expect((await httpGet(url('/inventory/items'), { authorization: `Bearer ${other}` })).status).toBe(401);
    const machine = await authgear.machineToken({ resource: INVENTORY, scopes: ['read:inventory'] });
    const answer = await httpGet(url('/api/x'), { authorization: `Bearer ${machine}`, ...FORGED });
    expect(answer.status).toBe(401);
    expect(answer.body).not.toContain('"headers"');
  });

  it('gives a user\'s first-party token its client and scope, replacing forged ones', async () => {
    const answer = await httpGet(url('/api/x'), { authorization: `Bearer ${await authgear.accessToken({ claims: { sub: 'user-3' } })}`, ...FORGED });
    expect(authgearSeen(answer.body)).toMatchObject({ 'x-authgear-user-id': 'user-3', 'x-authgear-client-id': 'test-client', 'x-authgear-scope': 'openid offline_access https://authgear.com/scopes/full-access' });
  });

  it('passes a session without client or scope (forged ones dropped), and refuses it on the API (403)', async () => {
    const { value, user } = authgear.sessions.issue('session');
    const answer = await httpGet(url('/api/x'), { cookie: `session=${value}`, ...FORGED });
    expect(answer.status).toBe(200);
    expect(authgearSeen(answer.body)['x-authgear-user-id']).toBe(user.id);
    expect(authgearSeen(answer.body)).not.toHaveProperty('x-authgear-client-id');
    expect(authgearSeen(answer.body)).not.toHaveProperty('x-authgear-scope');
    expect((await httpGet(url('/inventory/items'), { cookie: `session=${value}` })).status).toBe(403);
  });

  it('answers a third-party client\'s opaque token 401 (the resolver says Session-Valid: false)', async () => {
    const { value } = authgear.sessions.issue('third_party_bearer');
    const answer = await httpGet(url('/api/x'), { authorization: `Bearer ${value}`, ...FORGED });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(answer.body).not.toContain('"headers"');
  });

  it('clears the new headers on a public location too', async () => {
    const answer = await httpGet(url('/healthz'), FORGED);
    expect(answer.status).toBe(200);
    expect(authgearSeen(answer.body)).toEqual({});
  });
});
