import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { CLAIMS, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { seenByApp, startGatewayStack, type GatewayStack } from '../support/gateway-stack.js';
import { httpGet, REPO } from '../support/processes.js';
import { writePolicy } from '../support/policies.js';

// NGINX Gateway Fabric's ExternalAuth: real nginx running what NGF generates (the fixture),
// asking the built sidecar on EXT_AUTHZ_PORT, in front of an echo app.
const APP = 'app.example.test';
const CALLBACK = `https://${APP}/_authgear/callback`;
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const POLICY = `
rules:
  - name: admin
    match: { path_prefix: /admin/ }
    roles: [admin]
  - name: api admin
    match: { path_prefix: /api/admin/ }
    roles: [admin]
  - name: public
    match: { path_prefix: /public/ }
    access: public
  - name: deletes
    match: { methods: [DELETE] }
    roles: [admin]
`;

let stack: GatewayStack;
let authgear: AuthgearStandIn;
let gate: GatewayStack['gate'];
let nginx: GatewayStack['gateways']['nginx'];

beforeAll(async () => {
  stack = await startGatewayStack(
    { EXT_AUTHZ_PATH_PREFIX: '/ngf-authz', POLICY_FILE: writePolicy(POLICY), CLIENT_IDS: 'web-client', LOGIN_REDIRECT_URI: CALLBACK },
    { nginx: join(REPO, 'test/fixtures/nginx-gateway-fabric-external-auth.conf'), caddy: false, asks: 'ext-authz' },
  );
  ({ authgear, gate, gateways: { nginx } } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

/** Through nginx, as a browser or API client would send it (Host included), no redirect followed. */
const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
  new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const request = http.request(`${nginx.url}${path}`, { method, headers: { host: APP, ...headers }, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
const token = async (claims: Record<string, unknown> = {}) => ({ authorization: `Bearer ${await authgear.accessToken({ claims: { sub: 'u-ngf', ...claims } })}` });
const SPOOFED = Object.fromEntries(IDENTITY_HEADER_NAMES.map((name) => [name, `spoofed-${name}`]));

describe('NGINX Gateway Fabric\'s ExternalAuth (nginx auth_request, original request in Method and Path)', () => {
  it('lets an allowed request through with the identity headers, judged on its own method and path', async () => {
    const allowed = await get('/admin/users?page=2', await token({ [CLAIMS.roles]: ['admin'] }));
    expect(allowed.status).toBe(200);
    const seen = seenByApp(allowed.body);
    expect(seen.url).toBe('/admin/users?page=2');
    expect(seen.headers).toMatchObject({ 'x-authgear-user-id': 'u-ngf', 'x-authgear-user-roles': 'admin', 'x-authgear-session-valid': 'true' });
    expect((await get('/orders', await token(), 'DELETE')).status).toBe(403);
    expect((await get('/orders', await token(), 'GET')).status).toBe(200);
  });

  it('answers 401 with the challenge to an API client, and 403 to a user without the role', async () => {
    for (const path of ['/api/orders', '/orders']) {
      const missing = await get(path);
      expect([missing.status, missing.headers['www-authenticate'], missing.headers.location], path).toEqual([401, 'Bearer realm="authgear-gate"', undefined]);
    }
    const forbidden = await get('/api/admin/x', await token({ [CLAIMS.roles]: ['editor'] }));
    expect(forbidden.status).toBe(403);
    const stale = await get('/api/orders', { authorization: 'Bearer not.a.jwt' });
    expect(stale.status).toBe(401);
    expect(stale.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('sends a browser without a session to Authgear\'s login page, carrying where it was going', async () => {
    const answer = await get('/orders?page=2', { accept: BROWSER });
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.location!);
    expect(location.origin + location.pathname).toBe(`${authgear.origin}/oauth2/authorize`);
    expect(location.searchParams.get('client_id')).toBe('web-client');
    expect(location.searchParams.get('state')).toBe(`https://${APP}/orders?page=2`);
    // ... and back from the callback to the page.
    const back = await get(`/_authgear/callback?state=${encodeURIComponent(`https://${APP}/orders?page=2`)}`, { accept: BROWSER });
    expect([back.status, back.headers.location]).toEqual([302, `https://${APP}/orders?page=2`]);
  });

  it('strips every client-sent identity header: public routes, users without roles, API routes', async () => {
    for (const [path, headers] of [['/public/page', {}], ['/orders', await token({ [CLAIMS.roles]: [] })], ['/api/orders', await token()]] as const) {
      const response = await get(path, { ...SPOOFED, ...headers });
      expect(response.status, path).toBe(200);
      const seen = seenByApp(response.body).headers;
      for (const name of IDENTITY_HEADER_NAMES) expect(seen[name] ?? '', `${path} ${name}`).not.toMatch(/spoofed/);
    }
    expect(seenByApp((await get('/public/page', SPOOFED)).body).headers).not.toHaveProperty('x-authgear-user-id');
  });

  it('keeps the sidecar\'s own routes off its port: /healthz, /metrics, /readyz, /auth are app paths', async () => {
    for (const path of ['/healthz', '/metrics', '/readyz', '/auth']) {
      expect((await get(path)).status, path).toBe(401);
      const allowed = await get(path, await token());
      expect(seenByApp(allowed.body).url, path).toBe(path);
    }
    // The sidecar's PORT still has them.
    expect((await httpGet(`${gate.url}/healthz`)).status).toBe(200);
  });
});
