import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../src/identity.js';
import { CLAIMS, type AuthgearStandIn } from './support/authgear-stand-in.js';
import { policyFile, send, type Sent } from './support/edge-requests.js';
import { startGatewayStack, type GatewayStack } from './support/gateway-stack.js';

// Real nginx (nginx/nginx.conf) and real Caddy (caddy/Caddyfile) in front of the built sidecar
// and an echo app: whatever the client sends, the app only ever sees x-authgear-* headers the
// sidecar set, on every kind of route, allowed or not.
const TENANT_CLAIM = 'https://app.example.test/tenant';
const FORGED = 'forged-by-client';
const POLICY = `
rules:
  - name: assets
    match: { path_prefix: /assets/ }
    access: public
  - name: api
    match: { path_prefix: /api/ }
    allow_cors_preflight: true
  - name: payments
    match: { path_prefix: /payments/ }
    max_auth_age: 300
    freshness_from: id_token
`;

/** The app-side spelling (CGI, WSGI, PHP): every character but letters and digits read as one. */
const appVariable = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '-');
const SIDECAR_SENDS = new Set([...IDENTITY_HEADER_NAMES, 'x-authgear-tenant']);
const FORGEABLE = [
  ...IDENTITY_HEADER_NAMES.map((name) => name.replace(/(^|-)([a-z])/g, (_all, dash: string, letter: string) => dash + letter.toUpperCase())),
  'X-Authgear-Id-Token', 'X-Authgear-Tenant', 'X-Authgear-Anything',
  'X_Authgear_User_Id', 'X.Authgear.User.Roles', 'x-authgear_tenant', 'X~Authgear~Session~Valid', 'x-authgear-user-id_',
];

let stack: GatewayStack;
let authgear: AuthgearStandIn;

beforeAll(async () => {
  stack = await startGatewayStack({ POLICY_FILE: policyFile(POLICY), CLAIM_HEADERS: `${TENANT_CLAIM}=x-authgear-tenant`, CLIENT_IDS: 'test-client' });
  ({ authgear } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

/** Every x-authgear-* the app saw (in any spelling) is one the sidecar sends, never the client's value or Caddy's placeholder. */
function expectOnlySidecarHeaders(sent: Sent, context: string) {
  if (sent.status !== 200) {
    expect(sent.app, `${context}: a refusal reached the app`).toBeUndefined();
    return;
  }
  expect(sent.app, `${context}: 200 without the app`).toBeDefined();
  for (const [name, value] of Object.entries(sent.app!.headers)) {
    expect(String(value), `${context}: ${name}`).not.toContain(FORGED);
    if (!appVariable(name).startsWith('x-authgear-')) continue;
    expect(SIDECAR_SENDS.has(name), `${context}: the app got ${name}`).toBe(true);
    expect(String(value), `${context}: ${name}`).not.toMatch(/\{http\./);
  }
}

interface Route {
  path: string;
  headers: Record<string, string>;
  method?: string;
}

const ROUTES: Record<string, () => Promise<Route>> = {
  'protected, allowed': async () => ({ path: '/api/orders', headers: { authorization: `Bearer ${await authgear.accessToken({ claims: { [CLAIMS.roles]: [] } })}` } }),
  'protected, denied': async () => ({ path: '/api/orders', headers: {} }),
  'public (gateway)': async () => ({ path: '/healthz', headers: {} }),
  'public (policy)': async () => ({ path: '/assets/app.js', headers: {} }),
  'CORS preflight': async () => ({ path: '/api/orders', method: 'OPTIONS', headers: { origin: 'https://spa.example.test', 'access-control-request-method': 'POST' } }),
  'ID-token freshness': async () => {
    const authTime = Math.floor(Date.now() / 1000) - 10;
    const claims = { sub: 'user-fresh', auth_time: authTime };
    const [token, idToken] = await Promise.all([authgear.accessToken({ claims }), authgear.idToken({ claims })]);
    return { path: '/payments/x', headers: { authorization: `Bearer ${token}`, 'x-authgear-id-token': idToken } };
  },
};

describe.each(['nginx', 'caddy'] as const)('a forged header through real %s', (gateway) => {
  it.each(Object.keys(ROUTES))('never reaches the app on a route that is %s', async (kind) => {
    const route = await ROUTES[kind]!();
    const statuses = new Set<number>();
    for (const name of FORGEABLE) {
      // The ID-token route brings its own (real) ID token: forging it there is the test above.
      if (kind === 'ID-token freshness' && name === 'X-Authgear-Id-Token') continue;
      const sent = await send(stack.gateways[gateway].url, route.path, { ...route.headers, [name]: FORGED }, route.method);
      expectOnlySidecarHeaders(sent, `${gateway} ${kind} ${name}`);
      statuses.add(sent.status);
    }
    // Built-in names spelt exactly are replaced, so the request itself goes through.
    expect([...statuses].sort(), kind).toEqual(kind === 'protected, denied' ? [401] : expect.arrayContaining([200]));
  });

  it('gives the app the sidecar\'s identity, whatever the client forged', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-7', [TENANT_CLAIM]: 'acme', [CLAIMS.roles]: ['editor'] } });
    const forged = Object.fromEntries(IDENTITY_HEADER_NAMES.map((name) => [name, FORGED]));
    const sent = await send(stack.gateways[gateway].url, '/api/orders', { authorization: `Bearer ${token}`, ...forged });
    expect(sent.status).toBe(200);
    expect(sent.app!.headers).toMatchObject({ 'x-authgear-user-id': 'user-7', 'x-authgear-user-roles': 'editor', 'x-authgear-session-valid': 'true' });
    // The shipped configs name no custom claim header (the operator adds theirs), so the
    // sidecar's stays out too: the app sees no tenant at all, never the forged one.
    expect(sent.app!.headers['x-authgear-tenant']).toBeUndefined();
    expectOnlySidecarHeaders(sent, `${gateway} all built-ins`);
  });

  it('answers public routes and preflights with no identity header at all, placeholders included', async () => {
    for (const kind of ['public (gateway)', 'public (policy)', 'CORS preflight'] as const) {
      const route = await ROUTES[kind]!();
      const sent = await send(stack.gateways[gateway].url, route.path, route.headers, route.method);
      expect(sent.status, kind).toBe(200);
      expect(Object.keys(sent.app!.headers).filter((name) => appVariable(name).startsWith('x-authgear-')), kind).toEqual([]);
    }
  });
});

describe.each(['nginx', 'caddy'] as const)('freshness from an ID token through real %s', (gateway) => {
  it('lets a fresh ID token through to the sidecar, and never to the app', async () => {
    const route = await ROUTES['ID-token freshness']!();
    const sent = await send(stack.gateways[gateway].url, route.path, route.headers);
    expect(sent.status).toBe(200);
    expect(sent.app!.headers['x-authgear-user-id']).toBe('user-fresh');
    expect(Object.keys(sent.app!.headers)).not.toContain('x-authgear-id-token');
  });

  it('asks for one when it is missing, and refuses a stale or another user\'s', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await authgear.accessToken({ claims: { sub: 'user-9', auth_time: now - 10 } });
    const reason = (sent: Sent) => sent.headers['x-authgear-gate-reason'];
    const missing = await send(stack.gateways[gateway].url, '/payments/x', { authorization: `Bearer ${token}` });
    const stale = await send(stack.gateways[gateway].url, '/payments/x', { authorization: `Bearer ${token}`, 'x-authgear-id-token': await authgear.idToken({ claims: { sub: 'user-9', auth_time: now - 3600 } }) });
    const other = await send(stack.gateways[gateway].url, '/payments/x', { authorization: `Bearer ${token}`, 'x-authgear-id-token': await authgear.idToken({ claims: { sub: 'user-8', auth_time: now - 10 } }) });
    expect([missing.status, stale.status, other.status]).toEqual([401, 401, 401]);
    // nginx passes on only the challenge of a 401; Caddy passes the sidecar's headers.
    if (gateway === 'caddy') expect([reason(missing), reason(stale), reason(other)]).toEqual(['id_token_required', 'auth_too_old', 'id_token_mismatch']);
    for (const sent of [missing, stale, other]) expect(sent.app).toBeUndefined();
  });
});

// The operator's part, done as the shipped configs' comments say: one copy (and, for Caddy,
// one placeholder drop) per claim header.
const withTenantHeader = {
  nginx: (file: string, text: string) => (file === 'authgear-gate/protect.conf' ? text.replace(/^#\s+((auth_request_set \$authgear_tenant|proxy_set_header X-Authgear-Tenant) .*)$/gm, '$1') : text),
  caddy: (_file: string, text: string) =>
    text.replace(/(copy_headers .*X-Authgear-Session-Authenticated-At)$/m, '$1 X-Authgear-Tenant').replace(/^(\s*)(import authgear_drop_absent X-Authgear-Session-Authenticated-At)$/m, '$1$2\n$1import authgear_drop_absent X-Authgear-Tenant'),
};

describe.each(['nginx', 'caddy'] as const)('a custom claim header added to the shipped %s config', (gateway) => {
  let url: string;
  beforeAll(async () => {
    url = (gateway === 'nginx' ? await stack.startNginx('nginx.conf', withTenantHeader.nginx) : await stack.startCaddy(withTenantHeader.caddy)).url;
  });

  it('reaches the app from the sidecar only: its value, or nothing when the claim is absent', async () => {
    const withClaim = await send(url, '/api/orders', { authorization: `Bearer ${await authgear.accessToken({ claims: { [TENANT_CLAIM]: 'acme' } })}` });
    expect(withClaim.app?.headers['x-authgear-tenant']).toBe('acme');
    const without = await send(url, '/api/orders', { authorization: `Bearer ${await authgear.accessToken()}` });
    expect(without.status).toBe(200);
    expect(without.app!.headers['x-authgear-tenant']).toBeUndefined();
    for (const name of ['X-Authgear-Tenant', 'x_authgear_tenant']) {
      for (const path of ['/api/orders', '/healthz', '/assets/a.js']) {
        const forged = await send(url, path, { authorization: `Bearer ${await authgear.accessToken()}`, [name]: FORGED });
        expectOnlySidecarHeaders(forged, `${gateway} ${path} ${name}`);
        expect(forged.app?.headers['x-authgear-tenant']).toBeUndefined();
      }
    }
  });
});

describe.each(['nginx', 'caddy'] as const)('an Authgear webhook call through real %s', (gateway) => {
  it('reaches a public route with its X-Authgear-Body-Signature, which only the webhook secret makes', async () => {
    for (const path of ['/healthz', '/assets/hook']) {
      const sent = await send(stack.gateways[gateway].url, path, { 'X-Authgear-Body-Signature': 'c2lnbmF0dXJl' }, 'POST');
      expect(sent.status, path).toBe(200);
      expect(sent.app!.headers['x-authgear-body-signature'], path).toBe('c2lnbmF0dXJl');
    }
    const unsigned = await send(stack.gateways[gateway].url, '/healthz', {}, 'POST');
    expect(unsigned.app!.headers).not.toHaveProperty('x-authgear-body-signature');
  });
});
