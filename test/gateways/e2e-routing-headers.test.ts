import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { METHOD_OVERRIDE_HEADERS } from '../../src/decision/request/method-override.js';
import { ROUTING_HEADERS } from '../../src/decision/request/routing-headers.js';
import { CLAIMS, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { send, startEdgeStack, type Sent } from '../support/edge-requests.js';
import { check, envoyOutcome, type EnvoyExtAuthz } from '../support/envoy-ext-authz.js';
import { startTestGate, type TestGate } from '../support/gate.js';
import type { GatewayStack } from '../support/gateway-stack.js';
import { REPO } from '../support/processes.js';

// What the app reads as the request's host, path or prefix is what the sidecar judged: a
// client's routing headers never reach it through a shipped gateway config (the gateway sets
// them from what was judged, or removes them).
const HOSTILE: Record<string, string> = {
  Forwarded: 'for=1.2.3.4;host=admin.example.com;proto=https',
  'X-Forwarded-Host': 'admin.example.com',
  'X-Forwarded-Prefix': '/admin',
  'X-Forwarded-Uri': '/admin/users',
  'X-Original-URL': '/admin/users',
  'X-Original-URI': '/admin/users',
  'X-Rewrite-URL': '/admin/users',
};
const APP_HOST = 'app.example.test';

/**
 * The request was refused before the app (nginx passes a client's X-Original-* to the
 * sidecar, which refuses ones that disagree with what nginx says), or the app got it with
 * every routing header absent or the judged host's: never a client's value. Returns whether
 * it reached the app.
 */
function expectRefusedOrJudged(sent: Sent, context: string): boolean {
  if (sent.status !== 200) {
    // nginx passes only WWW-Authenticate of a 401: request_malformed is an invalid_request.
    expect([sent.status, sent.app], context).toEqual([401, undefined]);
    expect(sent.headers['www-authenticate'], context).toMatch(/error="invalid_request"/);
    return false;
  }
  expectJudgedRouting(sent.app!.headers, context);
  return true;
}

/** Every routing header the app saw is absent or the judged host's: never a client's value. */
function expectJudgedRouting(appHeaders: Record<string, string>, context: string) {
  for (const name of ROUTING_HEADERS) {
    const value = appHeaders[name];
    if (value === undefined) continue;
    expect(name, `${context}: the app got ${name}: ${value}`).toBe('x-forwarded-host');
    expect(value.replace(/:\d+$/, ''), `${context}: x-forwarded-host`).toBe(APP_HOST);
  }
}

let stack: GatewayStack;
let authgear: AuthgearStandIn;

beforeAll(async () => {
  stack = await startEdgeStack();
  ({ authgear } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

describe.each(['nginx', 'caddy'] as const)('routing headers through real %s', (gateway) => {
  it.each([
    ['a protected route', '/api/orders', true],
    ['a public route (gateway)', '/healthz', false],
    ['a public route (policy)', '/assets/app.js', false],
  ] as const)('never reach the app on %s', async (_kind, path, withToken) => {
    const token: Record<string, string> = withToken ? { authorization: `Bearer ${await authgear.accessToken()}` } : {};
    const reached: string[] = [];
    for (const [name, value] of Object.entries(HOSTILE)) {
      const sent = await send(stack.gateways[gateway].url, path, { host: APP_HOST, ...token, [name]: value });
      if (expectRefusedOrJudged(sent, `${gateway} ${path} ${name}`)) reached.push(name);
    }
    // Only nginx's own X-Original-* headers can be refused; the others reach the app, judged.
    expect(reached).toEqual(expect.arrayContaining(['Forwarded', 'X-Forwarded-Host', 'X-Forwarded-Prefix', 'X-Forwarded-Uri', 'X-Rewrite-URL']));
    const { 'X-Original-URL': _url, 'X-Original-URI': _uri, ...others } = HOSTILE;
    expect(expectRefusedOrJudged(await send(stack.gateways[gateway].url, path, { host: APP_HOST, ...token, ...others }), `${gateway} ${path} all`)).toBe(true);
  });

  it('refuses a routing header spelt the way CGI, WSGI and Rack apps read as one (nginx drops it)', async () => {
    const token = `Bearer ${await authgear.accessToken()}`;
    for (const name of ['X_Forwarded_Host', 'X_Original_URL', 'X_Forwarded_Prefix']) {
      const sent = await send(stack.gateways[gateway].url, '/api/orders', { host: APP_HOST, authorization: token, [name]: 'admin.example.com' });
      if (gateway === 'nginx') expect(sent.app?.headers[name.toLowerCase()], name).toBeUndefined();
      else expect([sent.status, sent.app], name).toEqual([401, undefined]);
    }
  });

  it('tells the app the judged host in X-Forwarded-Host', async () => {
    const sent = await send(stack.gateways[gateway].url, '/api/orders', { host: APP_HOST, authorization: `Bearer ${await authgear.accessToken()}`, 'x-forwarded-host': 'admin.example.com' });
    expect(sent.app!.headers['x-forwarded-host']?.replace(/:\d+$/, '')).toBe(APP_HOST);
  });

  it('lets a method override reach the sidecar, which judges it', async () => {
    const gated = await stack.startNginx('nginx.conf');
    const base = gateway === 'nginx' ? gated.url : stack.gateways.caddy.url;
    const editor = `Bearer ${await authgear.accessToken({ claims: { [CLAIMS.roles]: ['editor'] } })}`;
    // nginx.conf keeps /admin for admins: an override cannot make a POST elsewhere into one.
    for (const name of METHOD_OVERRIDE_HEADERS) {
      expect((await send(base, '/api/orders', { host: APP_HOST, authorization: editor, [name]: 'DEL ETE' }, 'POST')).status, name).toBe(401);
    }
    expect((await send(base, '/api/orders?_method=DEL%20ETE', { host: APP_HOST, authorization: editor }, 'POST')).status).toBe(401);
    expect((await send(base, '/api/orders?_method=PUT', { host: APP_HOST, authorization: editor }, 'POST')).status).toBe(200);
  });
});

describe('routing headers through the ingress-nginx reproduction (the overlay\'s proxy-set-headers)', () => {
  it('never reach the app', async () => {
    const ingress = await stack.startNginx(join(REPO, 'test/fixtures/ingress-nginx-auth-url.conf'));
    const token = `Bearer ${await authgear.accessToken()}`;
    const { 'X-Original-URI': _uri, ...others } = HOSTILE;
    expect(expectRefusedOrJudged(await send(ingress.url, '/orders', { host: APP_HOST, authorization: token, ...others }), 'ingress-nginx')).toBe(true);
    expectRefusedOrJudged(await send(ingress.url, '/orders', { host: APP_HOST, authorization: token, ...HOSTILE }), 'ingress-nginx with X-Original-URI');
  });
});

describe('routing headers through Envoy\'s ext_authz over HTTP', () => {
  let gate: TestGate;
  // As the shipped overlays configure it: the decision's headers and the override headers sent.
  const ENVOY: EnvoyExtAuthz = {
    pathPrefix: '',
    allowedHeaders: ['cookie', 'accept', 'x-request-id', ...METHOD_OVERRIDE_HEADERS],
    allowedUpstreamHeaders: [...IDENTITY_HEADER_NAMES],
  };
  beforeAll(async () => {
    gate = await startTestGate(authgear, { EXT_AUTHZ_PORT: '1' });
  });
  afterAll(async () => {
    await gate?.close();
  });

  it('are removed from the app\'s request on every allow, at the sidecar\'s word', async () => {
    const headers = { authorization: `Bearer ${await authgear.accessToken()}`, ...HOSTILE };
    const request = { path: '/orders', host: APP_HOST, headers };
    const answer = await check(gate.extAuthzPort!, ENVOY, request);
    const outcome = envoyOutcome(ENVOY, request, answer);
    expect(outcome.allowed).toBe(true);
    if (outcome.allowed) for (const name of ROUTING_HEADERS) expect(outcome.upstreamHeaders, name).not.toHaveProperty(name);
  });

  it('judges a method override the overlays send', async () => {
    const request = { method: 'POST', path: '/orders', host: APP_HOST, headers: { authorization: `Bearer ${await authgear.accessToken()}`, 'x-http-method-override': 'DEL ETE' } };
    expect((await check(gate.extAuthzPort!, ENVOY, request)).status).toBe(401);
  });
});
