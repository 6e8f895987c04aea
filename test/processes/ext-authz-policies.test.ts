import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { ROUTING_HEADERS } from '../../src/decision/request/routing-headers.js';
import { writeAssertionKey } from '../support/assertions.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { check, envoyOutcome, type CheckAnswer, type EnvoyExtAuthz } from '../support/envoy-ext-authz.js';
import { bearer, startTestGate } from '../support/gate.js';
import { freePort, startGateProcess } from '../support/processes.js';
import { ROUTE_RULES } from '../support/policies.js';
import { waitFor } from '../support/wait-for.js';
import { reasonOf, REASON_HEADER } from '../support/answers.js';
import { writePolicy } from '../support/policies.js';

// The policy-rules and e2e-policies cases, asked the way Envoy (and GEP-1494's ExternalAuth
// filter in Envoy Gateway, Istio, kgateway) asks: requirements come from POLICY_FILE only.
// The shared rules, and two more for routes only this port has as app paths.
const POLICY = `${ROUTE_RULES}
  - name: account
    match: { path_prefix: /account/ }
    max_auth_age: 300
  - name: metrics
    match: { path_prefix: /metrics }
    access: deny
`;
const APP = 'app.example.test';
export const ENVOY: EnvoyExtAuthz = {
  pathPrefix: '/authz',
  allowedHeaders: ['cookie', 'accept', 'origin', 'access-control-request-method', 'x-request-id'],
  allowedUpstreamHeaders: [...IDENTITY_HEADER_NAMES],
};

/** What the sidecar logged (process) or reported (in process) about one question. */
interface Decided {
  rule?: string;
  reason?: string;
  host?: string;
  path?: string;
  protocol?: string;
}

/** A sidecar serving ext_authz: the in-process harness, or the built server as a process. */
interface Target {
  port: number;
  decisionOf(requestId: string): Promise<Decided>;
  close(): Promise<void>;
}

async function inProcess(authgear: AuthgearStandIn, env: Record<string, string>): Promise<Target> {
  const gate = await startTestGate(authgear, env);
  return {
    port: gate.extAuthzPort!,
    async decisionOf(requestId) {
      const event = gate.decisions.find((each) => each.requestId === requestId)!;
      return { rule: event.rule, reason: event.code, host: event.request?.host, path: event.request?.path, protocol: event.request?.protocol };
    },
    close: () => gate.close(),
  };
}

async function builtServer(authgear: AuthgearStandIn, env: Record<string, string>): Promise<Target> {
  const port = await freePort();
  // Allows are logged at debug: every decision has its line.
  const gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, ...env, EXT_AUTHZ_PORT: String(port), LOG_LEVEL: 'debug' });
  const lineOf = (requestId: string) => gate.output().split('\n').find((line) => line.includes(`"requestId":"${requestId}"`));
  return {
    port,
    async decisionOf(requestId) {
      await waitFor(() => lineOf(requestId) !== undefined, 5000, `the decision on ${requestId} to be logged`);
      return JSON.parse(lineOf(requestId)!) as Decided;
    },
    close: async () => void (await gate.stop()),
  };
}

let authgear: AuthgearStandIn;
let policyFile: string;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  policyFile = writePolicy(POLICY);
});
afterAll(async () => {
  await authgear.close();
});
const identityHeaderNames = (answer: CheckAnswer) => answer.headers.map(([name]) => name).filter((name) => name.startsWith('x-authgear-') && name !== REASON_HEADER);
const userToken = (claims: Record<string, unknown> = {}) => authgear.accessToken({ claims });

describe.each([
  ['the in-process harness', inProcess],
  ['the built server', builtServer],
] as const)('ext_authz as Envoy asks it, to %s', (_name, start) => {
  let target: Target;
  let lastRequestId = '';
  beforeAll(async () => {
    // Signed assertions on: an allow then carries every identity header the sidecar has.
    target = await start(authgear, { POLICY_FILE: policyFile, EXT_AUTHZ_PORT: '18081', EXT_AUTHZ_PATH_PREFIX: '/authz', ASSERTION_KEY_FILE: writeAssertionKey().path });
  });
  afterAll(async () => {
    await target?.close();
  });

  const ask = (path: string, headers: Record<string, string> = {}, method = 'GET', host = APP) => {
    lastRequestId = randomUUID();
    return check(target.port, ENVOY, { method, path, host, headers: { 'x-request-id': lastRequestId, ...headers } });
  };
  const lastDecision = () => target.decisionOf(lastRequestId);

  describe('rule fields through ext_authz, each checked both ways', () => {
    it('access public: 200 with no identity headers, with or without a token', async () => {
      expect((await ask('/healthz')).status).toBe(200);
      const withToken = await ask('/healthz', bearer(await userToken()));
      expect(withToken.status).toBe(200);
      expect(identityHeaderNames(withToken)).toEqual([]);
      expect(reasonOf(await ask('/elsewhere'))).toBe('credentials_missing');
    });

    it('access deny: 403 route_denied even for an admin', async () => {
      const answer = await ask('/closed/x', bearer(await userToken({ [CLAIMS.roles]: ['admin'] })));
      expect([answer.status, reasonOf(answer)]).toEqual([403, 'route_denied']);
    });

    it('roles any_of and all_of', async () => {
      expect(reasonOf(await ask('/admin/x', bearer(await userToken({ [CLAIMS.roles]: ['editor'] }))))).toBe('missing_role');
      expect((await ask('/admin/x', bearer(await userToken({ [CLAIMS.roles]: ['owner'] })))).status).toBe(200);
      expect(reasonOf(await ask('/billing/x', bearer(await userToken({ [CLAIMS.roles]: ['finance'] }))))).toBe('missing_role');
      expect((await ask('/billing/x', bearer(await userToken({ [CLAIMS.roles]: ['approver', 'finance'] })))).status).toBe(200);
    });

    it('require_verified and deny_anonymous, only where the rule says', async () => {
      expect(reasonOf(await ask('/verified/x', bearer(await userToken({ [CLAIMS.verified]: false }))))).toBe('unverified_user');
      expect((await ask('/verified/x', bearer(await userToken()))).status).toBe(200);
      expect((await ask('/elsewhere', bearer(await userToken({ [CLAIMS.verified]: false })))).status).toBe(200);
      const anonymous = await userToken({ [CLAIMS.anonymous]: true });
      expect(reasonOf(await ask('/members/x', bearer(anonymous)))).toBe('anonymous_user');
      expect((await ask('/elsewhere', bearer(anonymous))).status).toBe(200);
    });

    it('hosts: the check request\'s Host is the original one (port ignored), *.subdomain patterns too', async () => {
      const token = await userToken();
      expect(reasonOf(await ask('/x', bearer(token), 'GET', 'internal.example.test:8443'))).toBe('route_denied');
      expect((await ask('/x', {}, 'GET', 'a.b.public.example.test')).status).toBe(200);
      expect(reasonOf(await ask('/x', {}, 'GET', 'public.example.test'))).toBe('credentials_missing');
    });

    it('methods: the check request\'s method is the original one', async () => {
      const token = await userToken();
      expect(reasonOf(await ask('/api/x', bearer(token), 'DELETE'))).toBe('missing_role');
      expect((await ask('/api/x', bearer(token), 'GET')).status).toBe(200);
      expect((await ask('/api/x', bearer(await userToken({ [CLAIMS.roles]: ['admin'] })), 'DELETE')).status).toBe(200);
    });

    it('allow_cors_preflight: a real preflight passes without credentials, where allowed', async () => {
      const preflight = { origin: 'https://spa.example.test', 'access-control-request-method': 'POST' };
      const passed = await ask('/api/x', preflight, 'OPTIONS');
      expect(passed.status).toBe(200);
      expect(identityHeaderNames(passed)).toEqual([]);
      expect(reasonOf(await ask('/api/x', {}, 'OPTIONS'))).toBe('credentials_missing');
      expect(reasonOf(await ask('/elsewhere', preflight, 'OPTIONS'))).toBe('credentials_missing');
    });

    it('max_auth_age: an old login gets the RFC 9470 challenge, never a Location for an API client', async () => {
      const nowSeconds = Math.floor(Date.now() / 1000);
      for (const path of ['/fresh/x', '/account/settings']) {
        const stale = await ask(path, bearer(await userToken({ auth_time: nowSeconds - 3600 })));
        expect([stale.status, reasonOf(stale)]).toEqual([401, 'auth_too_old']);
        expect(stale.header('www-authenticate')).toMatch(/error="insufficient_user_authentication".*max_age="300"/);
        expect(stale.header('location')).toBeUndefined();
        expect((await ask(path, bearer(await userToken({ auth_time: nowSeconds - 10 })))).status).toBe(200);
      }
    });

    it('logs which rule decided, and the protocol', async () => {
      await ask('/admin/x');
      expect(await lastDecision()).toMatchObject({ rule: 'admin', reason: 'credentials_missing', protocol: 'ext-authz', path: '/admin/x', host: APP });
    });
  });

  describe('matching through ext_authz', () => {
    it('takes the first matching rule', async () => {
      expect(reasonOf(await ask('/admin/reports'))).toBe('credentials_missing');
      expect((await ask('/reports')).status).toBe(200);
    });

    it('refuses a path that routers could read as another one, however it is spelled', async () => {
      for (const path of ['/healthz/../admin/x', '/%61dmin/x', '//admin/x', '/reports/..%2Fadmin/x', '/healthz\\..\\admin\\x', '/./admin/x', '/%2e%2e/admin/x']) {
        expect(reasonOf(await ask(path)), path).toBe('request_malformed');
      }
    });

    it('never lets the client\'s own query string act as requirements: there is no auth URL query', async () => {
      expect(reasonOf(await ask('/orders?access=public'))).toBe('credentials_missing');
      expect(reasonOf(await ask('/admin/users?roles=editor', bearer(await userToken({ [CLAIMS.roles]: ['editor'] }))))).toBe('missing_role');
      expect(await lastDecision()).toMatchObject({ path: '/admin/users', rule: 'admin' });
    });
  });

  describe('the sidecar\'s own paths are app paths on the ext_authz port', () => {
    it('judges /healthz, /readyz, /metrics and /auth by policy, never answering them itself', async () => {
      const token = bearer(await userToken({ sub: 'u-own' }));
      const health = await ask('/healthz');
      expect([health.status, health.header('content-length'), identityHeaderNames(health)]).toEqual([200, '0', []]);
      const ready = await ask('/readyz', token);
      expect([ready.status, ready.header('x-authgear-user-id'), ready.header('content-type')]).toEqual([200, 'u-own', undefined]);
      expect(reasonOf(await ask('/readyz'))).toBe('credentials_missing');
      expect([(await ask('/metrics', token)).status, reasonOf(await ask('/metrics', token))]).toEqual([403, 'route_denied']);
      expect(reasonOf(await ask('/auth'))).toBe('credentials_missing');
      expect((await ask('/auth', token)).header('x-authgear-user-id')).toBe('u-own');
      expect((await lastDecision()).path).toBe('/auth');
    });
  });

  describe('identity headers and spoofing, as Envoy applies the answer', () => {
    const SPOOFED = Object.fromEntries(IDENTITY_HEADER_NAMES.map((name) => [name, `spoofed-${name}`]));
    // Even with every identity header allowed through to the check (a careless allowed_headers).
    const careless: EnvoyExtAuthz = { ...ENVOY, allowedHeaders: [...ENVOY.allowedHeaders, ...IDENTITY_HEADER_NAMES] };
    const askCareless = (path: string, headers: Record<string, string>) => check(target.port, careless, { path, host: APP, headers });

    it('never echoes nor trusts a client-sent identity header, and has Envoy remove every one it does not set', async () => {
      const token = await userToken({ sub: 'real-user', [CLAIMS.roles]: [] });
      const headers = { ...SPOOFED, ...bearer(token) };
      for (const path of ['/elsewhere', '/healthz']) {
        const answer = await askCareless(path, headers);
        expect(answer.status, path).toBe(200);
        for (const [name, value] of answer.headers) expect(value, `${path} ${name}`).not.toMatch(/spoofed/);
        const outcome = envoyOutcome(careless, { path, host: APP, headers }, answer);
        expect(outcome.allowed).toBe(true);
        const upstream = outcome.allowed ? outcome.upstreamHeaders : {};
        for (const name of IDENTITY_HEADER_NAMES) expect(upstream[name] ?? '', `${path} ${name}`).not.toMatch(/spoofed/);
        if (path === '/elsewhere') {
          expect(upstream['x-authgear-user-id']).toBe('real-user');
          expect(upstream).not.toHaveProperty('x-authgear-user-roles');
        } else {
          expect(Object.keys(upstream).filter((name) => name.startsWith('x-authgear-'))).toEqual([]);
        }
      }
    });

    it('names no header for removal that it sets, so Envoy keeps the real ones; only the client\'s ID token and routing headers go', async () => {
      const answer = await ask('/elsewhere', bearer(await userToken({ [CLAIMS.roles]: ['a'], auth_time: Math.floor(Date.now() / 1000) })));
      expect(answer.header('x-envoy-auth-headers-to-remove')).toBe(['x-authgear-id-token', ...ROUTING_HEADERS].join(', '));
      expect(identityHeaderNames(answer).sort()).toEqual([...IDENTITY_HEADER_NAMES].sort());
    });

    it('gives a denial to the client with its challenge, never identity headers', async () => {
      const answer = await askCareless('/admin/x', SPOOFED);
      const outcome = envoyOutcome(careless, { path: '/admin/x', host: APP, headers: SPOOFED }, answer);
      expect(outcome).toMatchObject({ allowed: false, status: 401 });
      const clientHeaders = outcome.allowed ? [] : outcome.clientHeaders;
      expect(clientHeaders).toContainEqual(['www-authenticate', 'Bearer realm="authgear-gate"']);
      expect(clientHeaders.filter(([name]) => IDENTITY_HEADER_NAMES.includes(name))).toEqual([]);
    });
  });
});
