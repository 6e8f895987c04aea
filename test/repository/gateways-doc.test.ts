import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate, type TestGate } from '../support/gate.js';
import { REPO } from '../support/processes.js';
import { REASON_HEADER } from '../support/answers.js';

const doc = readFileSync(join(REPO, 'docs/gateways.md'), 'utf8');
const lower = (names: Iterable<string>) => [...new Set([...names].map((name) => name.toLowerCase()))].sort();

/** The first Markdown table of the document, as rows of cells. */
function gatewayTable(): Array<{ gateway: string; protocol: string; shipped: string; tested: string }> {
  const lines = doc.split('\n');
  const start = lines.findIndex((line) => line.startsWith('| Gateway |'));
  const rows = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [gateway, protocol, shipped, tested] = line.split('|').slice(1, -1).map((cell) => cell.trim());
    rows.push({ gateway: gateway!, protocol: protocol!, shipped: shipped!, tested: tested! });
  }
  return rows;
}

/** The first bulleted list of header names after the paragraph that starts with `label`. */
function headerList(label: string): string[] {
  const at = doc.indexOf(`\n${label}`);
  expect(at, label).toBeGreaterThan(0);
  const names: string[] = [];
  for (const line of doc.slice(at + 1).split('\n')) {
    const match = /^- `([A-Za-z0-9-]+)`$/.exec(line);
    if (match) names.push(match[1]!);
    else if (names.length > 0) break;
  }
  return names;
}

describe('docs/gateways.md', () => {
  const rows = gatewayTable();

  it('has one row per gateway, each with a protocol and how it is tested', () => {
    expect(rows.map((row) => row.gateway)).toEqual([
      'nginx', 'Traefik', 'Traefik (Gateway API)', 'Caddy', 'Envoy Gateway', 'Istio', 'kgateway', 'NGINX Gateway Fabric', 'Contour', 'ingress-nginx (legacy)',
    ]);
    for (const row of rows) {
      expect(row.protocol, row.gateway).toMatch(/auth_request|ForwardAuth|ext_authz HTTP|ext_authz gRPC/);
      expect(row.tested, row.gateway).toMatch(/real nginx|real Caddy|protocol-exact|real gRPC client|schema validation/);
    }
  });

  it('names shipped files that exist, and every overlay', () => {
    const named = rows.flatMap((row) => [...row.shipped.matchAll(/`([^`]+)`/g)].map((match) => match[1]!));
    for (const path of named) expect(existsSync(join(REPO, path)), path).toBe(true);
    for (const overlay of readdirSync(join(REPO, 'deploy/overlays'))) expect(named).toContain(`deploy/overlays/${overlay}`);
    expect(named).toEqual(expect.arrayContaining(['caddy/Caddyfile', 'nginx/nginx.conf', 'traefik/dynamic.yml']));
  });

  it('lists exactly the identity headers of src/decision/identity/ for allowedResponseHeaders / headersToBackend', () => {
    expect(lower(headerList('Identity headers'))).toEqual(lower(IDENTITY_HEADER_NAMES));
  });

  describe('lists for allowed_client_headers every header a refusal carries', () => {
    let authgear: AuthgearStandIn;
    let gate: TestGate;
    beforeAll(async () => {
      authgear = await startAuthgearStandIn();
      gate = await startTestGate(authgear, { CLIENT_IDS: 'web', LOGIN_REDIRECT_URI: 'https://app.example.test/callback', AUTH_MODE: 'auto' });
    });
    afterAll(async () => {
      await gate?.close();
      await authgear?.close();
    });

    it('challenge, login redirect, cleared session cookie, policy refusal and 503', async () => {
      // ForwardAuth, which passes a redirect as a 302 (as ext_authz does).
      const original = { host: 'gate.internal', 'x-forwarded-method': 'GET', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/orders', 'x-forwarded-proto': 'https' };
      const ask = (headers: Record<string, string>, target = '/auth') => gate.request(target, { headers });
      const session = authgear.sessions.issue('session');
      authgear.sessions.revoke(session.value);
      const refusals = [
        await ask(original),
        await ask({ ...original, accept: 'text/html' }),
        await ask({ ...original, cookie: `session=${session.value}` }),
        await ask({ ...original, authorization: `Bearer ${await authgear.accessToken()}` }, '/auth?roles=admin'),
      ];
      authgear.setState('error');
      refusals.push(await ask({ ...original, cookie: `session=${authgear.sessions.issue('session').value}` }));
      authgear.setState('up');
      expect(refusals.map((response) => response.status)).toEqual([401, 302, 401, 403, 503]);
      const sent = lower(refusals.flatMap((response) => [...response.headers.keys()]).filter((name) => !['content-length', 'date', 'connection', 'keep-alive'].includes(name)));
      expect(sent).toEqual(expect.arrayContaining(['www-authenticate', 'location', 'set-cookie', REASON_HEADER, 'retry-after', 'cache-control']));
      expect(lower(headerList('Client headers'))).toEqual(sent);
    });
  });
});
