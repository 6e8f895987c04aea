import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthgearStandIn } from '../support/authgear-stand-in.js';
import { expectOnlySidecarHeaders, FORGED, freshLogin, send, startEdgeStack, TENANT_CLAIM, type Sent } from '../support/edge-requests.js';
import type { GatewayStack } from '../support/gateway-stack.js';
import { reasonOf } from '../support/answers.js';

// The headers that are not the sidecar's identity, through real nginx and Caddy: the client's
// ID token (for the sidecar only), a custom claim header the operator adds to the shipped
// configs, and the signature of Authgear's webhook calls.
let stack: GatewayStack;
let authgear: AuthgearStandIn;

beforeAll(async () => {
  stack = await startEdgeStack();
  ({ authgear } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

describe.each(['nginx', 'caddy'] as const)('freshness from an ID token through real %s', (gateway) => {
  it('lets a fresh ID token through to the sidecar, and never to the app', async () => {
    const sent = await send(stack.gateways[gateway].url, '/payments/x', await freshLogin(authgear));
    expect(sent.status).toBe(200);
    expect(sent.app!.headers['x-authgear-user-id']).toBe('user-fresh');
    expect(Object.keys(sent.app!.headers)).not.toContain('x-authgear-id-token');
  });

  it('asks for one when it is missing, and refuses a stale or another user\'s', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await authgear.accessToken({ claims: { sub: 'user-9', auth_time: now - 10 } });
    const missing = await send(stack.gateways[gateway].url, '/payments/x', { authorization: `Bearer ${token}` });
    const stale = await send(stack.gateways[gateway].url, '/payments/x', { authorization: `Bearer ${token}`, 'x-authgear-id-token': await authgear.idToken({ claims: { sub: 'user-9', auth_time: now - 3600 } }) });
    const other = await send(stack.gateways[gateway].url, '/payments/x', { authorization: `Bearer ${token}`, 'x-authgear-id-token': await authgear.idToken({ claims: { sub: 'user-8', auth_time: now - 10 } }) });
    expect([missing.status, stale.status, other.status]).toEqual([401, 401, 401]);
    // nginx passes on only the challenge of a 401; Caddy passes the sidecar's headers.
    if (gateway === 'caddy') expect([reasonOf(missing), reasonOf(stale), reasonOf(other)]).toEqual(['id_token_required', 'auth_too_old', 'id_token_mismatch']);
    for (const sent of [missing, stale, other]) expect(sent.app).toBeUndefined();
  });
});

// The operator's part, done as the shipped configs' comments say: one copy (and, for Caddy,
// one placeholder drop) per claim header.
const withTenantHeader = {
  nginx: (file: string, text: string) => (file === 'authgear-gate/protect.conf' ? text.replace(/^#\s+((auth_request_set \$authgear_tenant|proxy_set_header X-Authgear-Tenant) .*)$/gm, '$1') : text),
  caddy: (_file: string, text: string) =>
    text.replace(/^(\s*copy_headers .*)$/m, '$1 X-Authgear-Tenant').replace(/^(\s*)(import authgear_drop_absent X-Authgear-Scope)$/m, '$1$2\n$1import authgear_drop_absent X-Authgear-Tenant'),
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
