import http from 'node:http';
import { expect } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import type { AuthgearStandIn } from './authgear-stand-in.js';
import { startGatewayStack, type GatewayStack } from './gateway-stack.js';
import { writePolicy } from './policies.js';

export interface Sent {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** What the echo app received, when the request reached it. */
  app: { method: string; url: string; headers: Record<string, string> } | undefined;
}

/**
 * A request with its path sent exactly as given (no URL parsing: `#`, `\`, `..`, raw bytes
 * stay), through a gateway in front of the echo app.
 */
export function send(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Sent> {
  const { hostname, port } = new URL(base);
  return new Promise((done, fail) => {
    const request = http.request({ hostname, port, path, method, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('latin1');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => {
        let app: Sent['app'];
        try {
          const parsed = JSON.parse(body);
          if (parsed && typeof parsed.headers === 'object' && typeof parsed.url === 'string') app = parsed;
        } catch { /* not the echo app's answer */ }
        done({ status: response.statusCode ?? 0, headers: response.headers, app });
      });
    });
    request.on('error', fail);
    request.end();
  });
}

export const TENANT_CLAIM = 'https://app.example.test/tenant';
export const FORGED = 'forged-by-client';
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

/**
 * Real nginx (nginx/nginx.conf) and real Caddy (caddy/Caddyfile) in front of the built
 * sidecar and an echo app, with a public-by-policy prefix (/assets/), CORS preflights on
 * /api/, ID-token freshness on /payments/ and a custom claim header (x-authgear-tenant).
 */
export const startEdgeStack = (): Promise<GatewayStack> =>
  startGatewayStack({ POLICY_FILE: writePolicy(POLICY), CLAIM_HEADERS: `${TENANT_CLAIM}=x-authgear-tenant`, CLIENT_IDS: 'test-client' });

/** The app-side spelling (CGI, WSGI, PHP): every character but letters and digits read as one. */
export const appVariable = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '-');
const SIDECAR_SENDS = new Set([...IDENTITY_HEADER_NAMES, 'x-authgear-tenant']);

/** Every x-authgear-* the app saw (in any spelling) is one the sidecar sends, never the client's value or Caddy's placeholder. */
export function expectOnlySidecarHeaders(sent: Sent, context: string) {
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

/** An access token and a fresh ID token of the same user, for the /payments/ route. */
export async function freshLogin(authgear: AuthgearStandIn, sub = 'user-fresh'): Promise<Record<string, string>> {
  const claims = { sub, auth_time: Math.floor(Date.now() / 1000) - 10 };
  const [token, idToken] = await Promise.all([authgear.accessToken({ claims }), authgear.idToken({ claims })]);
  return { authorization: `Bearer ${token}`, 'x-authgear-id-token': idToken };
}
