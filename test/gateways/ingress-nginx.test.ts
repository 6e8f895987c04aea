import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Denial } from '../../src/decision/outcome.js';
import { readOriginalRequest, type GatewayProtocol } from '../../src/gateways/auth-request.js';
import { CLAIMS, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { seenByApp, startGatewayStack, type GatewayStack } from '../support/gateway-stack.js';
import { httpGet, REPO } from '../support/processes.js';
import { writePolicy } from '../support/policies.js';

// What ingress-nginx sends on its auth subrequest, whatever the Ingress says (its template).
const INGRESS_NGINX = {
  host: 'authgear-gate.authgear-gate.svc.cluster.local',
  'x-original-url': 'https://App.Example.com:8443/orders/7?page=2',
  'x-original-method': 'POST',
  'x-sent-from': 'nginx-ingress-controller',
  'x-auth-request-redirect': '/orders/7?page=2',
  'x-request-id': '0123456789abcdef',
};
const read = (headers: Record<string, string>, gateway: GatewayProtocol = 'nginx') => readOriginalRequest((name) => headers[name], gateway);
const codeOf = (headers: Record<string, string>) => {
  try {
    read(headers);
    return 'accepted';
  } catch (error) {
    return error instanceof Denial ? error.code : 'crash';
  }
};

describe('ingress-nginx\'s own X-Original-URL ($scheme://$http_host$request_uri)', () => {
  it('describes the original request alone: scheme, host and path, never the Host of the subrequest', () => {
    for (const gateway of ['nginx', 'auto'] as const) {
      expect(read(INGRESS_NGINX, gateway)).toEqual({ protocol: 'nginx', method: 'POST', proto: 'https', host: 'app.example.com:8443', uri: '/orders/7?page=2', path: '/orders/7' });
    }
    expect(read({ ...INGRESS_NGINX, 'x-original-url': 'http://app.example.com/' })).toMatchObject({ proto: 'http', host: 'app.example.com', uri: '/' });
  });

  it('is ignored where ForwardAuth is pinned (Traefik and Caddy strip it anyway)', () => {
    expect(read({ ...INGRESS_NGINX, 'x-forwarded-uri': '/a', 'x-forwarded-host': 'b.example' }, 'forward-auth')).toMatchObject({ protocol: 'forward-auth', path: '/a', host: 'b.example' });
  });

  it('accepts the headers of our nginx config (or an old auth-proxy-set-headers) when they agree', () => {
    const agreeing = { ...INGRESS_NGINX, 'x-original-uri': '/orders/7?page=2', 'x-original-host': 'app.example.com', 'x-forwarded-proto': 'https' };
    expect(read(agreeing)).toMatchObject({ host: 'app.example.com:8443', path: '/orders/7', proto: 'https' });
  });

  it.each([
    ['X-Original-URI', { 'x-original-uri': '/healthz' }],
    ['X-Original-URI with another query', { 'x-original-uri': '/orders/7?page=3' }],
    ['X-Original-Host', { 'x-original-host': 'public.example.com' }],
    ['X-Forwarded-Proto', { 'x-forwarded-proto': 'http' }],
  ])('refuses a %s that disagrees (a client\'s copy): request_malformed, never a choice', (_name, extra) => {
    expect(codeOf({ ...INGRESS_NGINX, ...extra })).toBe('request_malformed');
  });

  it.each([
    'relative/path', '/orders', 'ftp://app.example.com/', 'https://app.example.com', 'https://app.example.com?x=1', 'https://user@app.example.com/',
    'https://app.example.com/with space', 'https://app.example.com/\u0000', 'https:///orders', 'https://public.example.com,app.example.com/',
  ])('refuses the malformed X-Original-URL %j with request_malformed', (url) => {
    expect(codeOf({ ...INGRESS_NGINX, 'x-original-url': url })).toBe('request_malformed');
  });
});

const POLICY = `
rules:
  - name: admin
    match: { path_prefix: /admin/ }
    roles: [admin]
  - name: public
    match: { path_prefix: /public/ }
    access: public
  - name: internal host
    match: { hosts: [internal.example.test] }
    access: deny
`;

describe('real nginx generating ingress-nginx\'s auth subrequest (no auth-proxy-set-headers)', () => {
  let stack: GatewayStack;
  let authgear: AuthgearStandIn;
  let nginx: GatewayStack['gateways']['nginx'];

  beforeAll(async () => {
    stack = await startGatewayStack({ GATEWAY: 'nginx', POLICY_FILE: writePolicy(POLICY) }, { nginx: join(REPO, 'test/fixtures/ingress-nginx-auth-url.conf'), caddy: false });
    ({ authgear, gateways: { nginx } } = stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => httpGet(`${nginx.url}${path}`, { host: 'app.example.test', ...headers });
  const token = async (roles: string[]) => ({ authorization: `Bearer ${await authgear.accessToken({ claims: { sub: 'u-ingress', [CLAIMS.roles]: roles } })}` });

  it('judges the path and host of X-Original-URL, and hands the identity to the app', async () => {
    const allowed = await get('/admin/users?x=1', await token(['admin']));
    expect(allowed.status).toBe(200);
    expect(seenByApp(allowed.body).headers['x-authgear-user-id']).toBe('u-ingress');
    expect((await get('/admin/users', await token(['editor']))).status).toBe(403);
    expect((await get('/public/page')).status).toBe(200);
    const denied = await get('/orders');
    expect([denied.status, denied.headers['www-authenticate']]).toEqual([401, 'Bearer realm="authgear-gate"']);
    expect((await get('/x', { ...(await token(['admin'])), host: 'internal.example.test' })).status).toBe(403);
  });

  it('refuses a client\'s X-Original-URI or X-Original-Host that would describe another request', async () => {
    for (const spoof of [{ 'x-original-uri': '/public/x' }, { 'x-original-host': 'public.example.test' }] as Array<Record<string, string>>) {
      const response = await get('/admin/users', { ...(await token(['editor'])), ...spoof });
      expect(response.status, JSON.stringify(spoof)).toBe(401);
      expect(response.headers['www-authenticate']).toContain('error="invalid_request"');
    }
  });

  it('replaces every client-sent identity header with the sidecar\'s (or none)', async () => {
    const spoofed = { 'x-authgear-user-id': 'admin', 'x-authgear-user-roles': 'admin', 'x-authgear-session-valid': 'true' };
    const viaPublic = seenByApp((await get('/public/page', spoofed)).body).headers;
    expect(Object.keys(viaPublic).filter((name) => name.startsWith('x-authgear-'))).toEqual([]);
    const viaUser = seenByApp((await get('/orders', { ...spoofed, ...(await token([])) })).body).headers;
    expect([viaUser['x-authgear-user-id'], viaUser['x-authgear-user-roles']]).toEqual(['u-ingress', undefined]);
  });
});
