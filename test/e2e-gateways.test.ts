import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIMS, RESOLVE_PATH, type AuthgearStandIn } from './support/authgear-stand-in.js';
import { seenByApp as seen, startGatewayStack, type GatewayStack } from './support/gateway-stack.js';
import { httpGet } from './support/processes.js';

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
