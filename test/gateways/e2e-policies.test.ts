import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIMS, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { seenByApp as seen, startGatewayStack, type GatewayStack } from '../support/gateway-stack.js';
import { httpGet } from '../support/processes.js';
import { writePolicy } from '../support/policies.js';

// The shipped nginx and Caddy configs, unchanged but for ports, with the login settings on.
const APP = 'app.example.test';
const CALLBACK = `http://${APP}/_authgear/callback`;
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
// What nginx/browser-login.conf redirects to when the sidecar names no login URL.
const FIXED_NGINX_LOGIN_ORIGIN = 'https://myapp.authgear.cloud';

let stack: GatewayStack;
let authgear: AuthgearStandIn;
let gateways: GatewayStack['gateways'];

// Policy-file rules for an API registered in Authgear as a resource (paths the shipped
// configs give no query of their own).
const ORDERS = 'https://api.example.com/orders';
const POLICY = `
rules:
  - { name: orders, match: { path_prefix: /orders-api/ }, resource: "${ORDERS}", scopes: [read:orders] }
  - { name: machines, match: { path_prefix: /machines/ }, resource: "${ORDERS}", principals: clients }
  - { name: reports, match: { path_prefix: /reports/ }, resource: "${ORDERS}", principals: any, scopes: { any_of: [read:orders, admin:orders] } }
`;

beforeAll(async () => {
  const policyFile = writePolicy(POLICY);
  stack = await startGatewayStack({ CLIENT_IDS: 'web-client', LOGIN_REDIRECT_URI: CALLBACK, POLICY_FILE: policyFile });
  ({ authgear, gateways } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown>) => authgear.accessToken({ claims }).then((value) => ({ authorization: `Bearer ${value}` }));

describe.each(['nginx', 'caddy'] as const)('route requirements through real %s', (name) => {
  const get = (path: string, headers: Record<string, string> = {}) => httpGet(`${gateways[name].url}${path}`, { host: APP, ...headers });

  it('gives the admin location its own requirement (roles=admin reaches the auth request)', async () => {
    const admin = await get('/admin/users', await token({ sub: 'root', [CLAIMS.roles]: ['admin'] }));
    expect(admin.status).toBe(200);
    expect(seen(admin.body).headers['x-authgear-user-id']).toBe('root');
    expect((await get('/admin/users', await token({ [CLAIMS.roles]: ['editor'] }))).status).toBe(403);
    expect((await get('/api/x', await token({ [CLAIMS.roles]: ['editor'] }))).status).toBe(200);
  });

  it('asks the sensitive location for a login within 5 minutes (RFC 9470)', async () => {
    expect((await get('/account/settings', await token({ auth_time: nowSeconds() - 10 }))).status).toBe(200);
    const stale = await get('/account/settings', await token({ auth_time: nowSeconds() - 3600 }));
    expect(stale.status).toBe(401);
    expect(stale.headers['www-authenticate']).toMatch(/error="insufficient_user_authentication".*max_age="300"/);
    expect(stale.headers.location).toBeUndefined();
  });

  it('never lets the client\'s own query string act as requirements', async () => {
    expect((await get('/orders?access=public')).status).toBe(401);
    expect((await get('/admin/users?roles=editor', await token({ [CLAIMS.roles]: ['editor'] }))).status).toBe(403);
  });
});

// nginx needs the error_page of nginx/browser-login.conf to turn the 401 + Location into a redirect.
describe.each(['nginx/browser-login.conf', 'caddy/Caddyfile'])('browser login through real %s', (config) => {
  let url: string;
  beforeAll(async () => {
    url = config === 'caddy/Caddyfile' ? gateways.caddy.url : (await stack.startNginx('browser-login.conf')).url;
  });
  const get = (path: string, headers: Record<string, string> = {}) => httpGet(`${url}${path}`, { host: APP, ...headers });

  it('sends a browser without a session to Authgear\'s login page, carrying where it was going', async () => {
    const answer = await get('/orders?page=2', { accept: BROWSER });
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.location!);
    expect(location.origin + location.pathname).toBe(`${authgear.origin}/oauth2/authorize`);
    expect(location.searchParams.get('client_id')).toBe('web-client');
    expect(location.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(location.searchParams.get('response_type')).toBe('none');
    expect(location.searchParams.get('state')).toBe(`http://${APP}/orders?page=2`);
  });

  it('asks Authgear for a fresh login (max_age=300) when a browser\'s login is too old', async () => {
    const answer = await get('/account/settings', { accept: BROWSER, ...(await token({ auth_time: nowSeconds() - 3600 })) });
    expect(answer.status).toBe(302);
    expect(new URL(answer.headers.location!).searchParams.get('max_age')).toBe('300');
  });

  it('brings the browser back from the callback, to allowed hosts only', async () => {
    const back = await get(`/_authgear/callback?state=${encodeURIComponent(`http://${APP}/orders?page=2`)}`, { accept: BROWSER });
    expect([back.status, back.headers.location]).toEqual([302, `http://${APP}/orders?page=2`]);
    for (const state of ['//evil.test', 'https://evil.test/', `https://${APP}@evil.test/`, '/%5Cevil.test']) {
      const refused = await get(`/_authgear/callback?state=${encodeURIComponent(state)}`, { accept: BROWSER });
      // No way back: Caddy passes the 401 on, nginx's example sends the browser to its fixed login page.
      if (refused.headers.location === undefined) expect(refused.status, state).toBe(401);
      else expect(new URL(refused.headers.location).origin, state).toBe(FIXED_NGINX_LOGIN_ORIGIN);
    }
  });
});

describe.each(['nginx', 'caddy'] as const)('policy rules for an API resource through real %s', (name) => {
  const get = (path: string, headers: Record<string, string> = {}) => httpGet(`${gateways[name].url}${path}`, { host: APP, ...headers });
  const machine = (scopes: string[]) => authgear.machineToken({ resource: ORDERS, scopes }).then((value) => ({ authorization: `Bearer ${value}` }));
  const user = (scopes: string[]) => authgear.accessToken({ resource: ORDERS, scopes, claims: { sub: 'user-5' } }).then((value) => ({ authorization: `Bearer ${value}` }));
  const forged = { 'x-authgear-user-id': 'admin', 'x-authgear-client-id': 'forged', 'x-authgear-scope': 'admin:orders' };

  it('keeps machine clients off a users route, and users off a clients route (403)', async () => {
    expect((await get('/orders-api/1', await machine(['read:orders']))).status).toBe(403);
    const asUser = await get('/orders-api/1', { ...(await user(['read:orders'])), ...forged });
    expect(asUser.status).toBe(200);
    expect(seen(asUser.body).headers).toMatchObject({ 'x-authgear-user-id': 'user-5', 'x-authgear-client-id': 'test-client', 'x-authgear-scope': 'openid offline_access read:orders' });
    expect((await get('/machines/1', await user([]))).status).toBe(403);
  });

  it('lets a machine client onto its route with no user header at the app', async () => {
    const answer = await get('/machines/1', { ...(await machine([])), ...forged });
    expect(answer.status).toBe(200);
    const headers = Object.keys(seen(answer.body).headers).filter((header) => header.startsWith('x-authgear-'));
    expect(headers.sort()).toEqual(['x-authgear-client-id', 'x-authgear-session-valid']);
    expect(seen(answer.body).headers['x-authgear-client-id']).toBe('m2m-client');
  });

  it('needs one of the any_of scopes, and names them in the challenge', async () => {
    expect((await get('/reports/1', await machine(['admin:orders']))).status).toBe(200);
    expect((await get('/reports/1', await user(['read:orders']))).status).toBe(200);
    const refused = await get('/reports/1', await machine(['write:orders']));
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(refused.headers['www-authenticate']).toContain('scope="read:orders admin:orders"');
  });
});
