import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { CLAIMS, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { appVariable, expectOnlySidecarHeaders, FORGED, freshLogin, send, startEdgeStack, TENANT_CLAIM } from '../support/edge-requests.js';
import type { GatewayStack } from '../support/gateway-stack.js';

// Whatever the client sends, the app only ever sees x-authgear-* headers the sidecar set, on
// every kind of route, allowed or not, through real nginx and Caddy (startEdgeStack).
const FORGEABLE = [
  ...IDENTITY_HEADER_NAMES.map((name) => name.replace(/(^|-)([a-z])/g, (_all, dash: string, letter: string) => dash + letter.toUpperCase())),
  'X-Authgear-Id-Token', 'X-Authgear-Tenant', 'X-Authgear-Anything',
  'X_Authgear_User_Id', 'X.Authgear.User.Roles', 'x-authgear_tenant', 'X~Authgear~Session~Valid', 'x-authgear-user-id_',
];

let stack: GatewayStack;
let authgear: AuthgearStandIn;

beforeAll(async () => {
  stack = await startEdgeStack();
  ({ authgear } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

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
  'ID-token freshness': async () => ({ path: '/payments/x', headers: await freshLogin(authgear) }),
};

describe.each(['nginx', 'caddy'] as const)('a forged header through real %s', (gateway) => {
  it.each(Object.keys(ROUTES))('never reaches the app on a route that is %s', async (kind) => {
    const route = await ROUTES[kind]!();
    const statuses = new Set<number>();
    for (const name of FORGEABLE) {
      // The ID-token route brings its own (real) ID token (see e2e-claim-and-token-headers).
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
