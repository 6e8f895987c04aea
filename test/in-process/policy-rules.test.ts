import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuleMatcher } from '../../src/decision/policy/matcher.js';
import { parsePolicy } from '../../src/decision/policy/policy-file.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { ROUTE_RULES, writePolicy } from '../support/policies.js';
import { reasonOf, REASON_HEADER } from '../support/answers.js';


let authgear: AuthgearStandIn;
let gate: TestGate;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear, { POLICY_FILE: writePolicy(ROUTE_RULES) });
});
afterAll(async () => {
  await gate.close();
  await authgear.close();
});
const identityHeaderNames = (response: Response) => [...response.headers.keys()].filter((name) => name.startsWith('x-authgear-') && name !== REASON_HEADER);
const userToken = (claims: Record<string, unknown> = {}) => authgear.accessToken({ claims });
const ask = (path: string, headers: Record<string, string> = {}) => gate.auth({ 'x-original-uri': path, ...headers });

describe('rule fields, each checked both ways', () => {
  it('access public: 200 with no identity headers, with or without a token', async () => {
    expect((await ask('/healthz')).status).toBe(200);
    const withToken = await ask('/healthz', bearer(await userToken()));
    expect(withToken.status).toBe(200);
    expect(identityHeaderNames(withToken)).toEqual([]);
    expect(reasonOf(await ask('/elsewhere'))).toBe('credentials_missing');
  });

  it('access deny: 403 route_denied even for an admin', async () => {
    const response = await ask('/closed/x', bearer(await userToken({ [CLAIMS.roles]: ['admin'] })));
    expect([response.status, reasonOf(response)]).toEqual([403, 'route_denied']);
  });

  it('roles any_of: one of the roles is enough, none is a 403 missing_role', async () => {
    expect(reasonOf(await ask('/admin/x', bearer(await userToken({ [CLAIMS.roles]: ['editor'] }))))).toBe('missing_role');
    expect((await ask('/admin/x', bearer(await userToken({ [CLAIMS.roles]: ['owner'] })))).status).toBe(200);
  });

  it('roles all_of: every role is needed', async () => {
    expect(reasonOf(await ask('/billing/x', bearer(await userToken({ [CLAIMS.roles]: ['finance'] }))))).toBe('missing_role');
    expect((await ask('/billing/x', bearer(await userToken({ [CLAIMS.roles]: ['approver', 'finance'] })))).status).toBe(200);
  });

  it('require_verified: an unverified user gets 403 unverified_user', async () => {
    expect(reasonOf(await ask('/verified/x', bearer(await userToken({ [CLAIMS.verified]: false }))))).toBe('unverified_user');
    expect((await ask('/verified/x', bearer(await userToken()))).status).toBe(200);
    expect((await ask('/elsewhere', bearer(await userToken({ [CLAIMS.verified]: false })))).status).toBe(200);
  });

  it('deny_anonymous: an anonymous user gets 403 anonymous_user, but only there', async () => {
    const anonymous = await userToken({ [CLAIMS.anonymous]: true });
    expect(reasonOf(await ask('/members/x', bearer(anonymous)))).toBe('anonymous_user');
    expect((await ask('/elsewhere', bearer(anonymous))).status).toBe(200);
  });

  it('hosts: exact names (port ignored) and *.subdomain patterns', async () => {
    const token = await userToken();
    expect(reasonOf(await ask('/x', { ...bearer(token), 'x-original-host': 'internal.example.test:8443' }))).toBe('route_denied');
    expect((await ask('/x', { 'x-original-host': 'a.b.public.example.test' })).status).toBe(200);
    expect(reasonOf(await ask('/x', { 'x-original-host': 'public.example.test' }))).toBe('credentials_missing');
  });

  it('methods: the rule applies to the listed methods only', async () => {
    const token = await userToken();
    expect(reasonOf(await ask('/api/x', { ...bearer(token), 'x-original-method': 'DELETE' }))).toBe('missing_role');
    expect((await ask('/api/x', { ...bearer(token), 'x-original-method': 'GET' })).status).toBe(200);
  });

  it('allow_cors_preflight: a real preflight passes without credentials, where allowed', async () => {
    const preflight = { 'x-original-method': 'OPTIONS', origin: 'https://spa.example.test', 'access-control-request-method': 'POST' };
    const passed = await ask('/api/x', preflight);
    expect(passed.status).toBe(200);
    expect(identityHeaderNames(passed)).toEqual([]);
    expect(reasonOf(await ask('/api/x', { 'x-original-method': 'OPTIONS' }))).toBe('credentials_missing');
    expect(reasonOf(await ask('/elsewhere', preflight))).toBe('credentials_missing');
  });

  it('max_auth_age: an old login gets the RFC 9470 challenge', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const response = await ask('/fresh/x', bearer(await userToken({ auth_time: nowSeconds - 3600 })));
    expect([response.status, reasonOf(response)]).toEqual([401, 'auth_too_old']);
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_user_authentication".*max_age="300"/);
    expect((await ask('/fresh/x', bearer(await userToken({ auth_time: nowSeconds - 10 })))).status).toBe(200);
  });

  it('logs which rule decided', async () => {
    gate.decisions.length = 0;
    await ask('/admin/x');
    expect(gate.decisions.at(-1)).toMatchObject({ rule: 'admin', code: 'credentials_missing' });
  });
});

describe('matching', () => {
  it('takes the first matching rule: /admin/reports is admin-only although "reports" would make it public', async () => {
    expect(reasonOf(await ask('/admin/reports'))).toBe('credentials_missing');
    expect((await ask('/reports')).status).toBe(200);
  });

  // These spellings used to be read as /admin/x (and matched the admin rule); routers disagree
  // on them, so they are now refused before any rule is looked at: never a less strict rule.
  it('refuses the spellings of a path that routers read differently, before any rule', async () => {
    for (const path of ['/healthz/../admin/x', '/%61dmin/x', '//admin/x', '/reports/..%2Fadmin/x', '/healthz\\..\\admin\\x', '/./admin/x', '/%2e%2e/admin/x']) {
      expect(reasonOf(await ask(path)), path).toBe('request_malformed');
      expect(gate.decisions.at(-1)?.rule, path).toBeUndefined();
      expect((await ask(path, bearer(await userToken({ [CLAIMS.roles]: ['owner'] })))).status, path).toBe(401);
    }
    expect(gate.decisions.at(-1)?.code).toBe('request_malformed');
  });

  it('matches the decoded path of an accepted spelling', async () => {
    expect(reasonOf(await ask('/admin/caf%C3%A9'))).toBe('credentials_missing');
    expect(gate.decisions.at(-1)?.rule).toBe('admin');
    expect(reasonOf(await ask('/admin%20x/y'))).toBe('credentials_missing');
    expect(gate.decisions.at(-1)?.rule).toBe('default');
  });

  it('ignores the query string and compares paths case-sensitively unless ignore_path_case', () => {
    const request = (path: string) => ({ protocol: 'nginx' as const, method: 'GET', proto: 'https' as const, host: 'a.test', uri: path, path });
    const strict = createRuleMatcher(parsePolicy('rules: [{ name: admin, match: { path_prefix: /admin/ } }]', 'p.yaml'));
    const relaxed = createRuleMatcher(parsePolicy('ignore_path_case: true\nrules: [{ name: admin, match: { path_regex: "^/Admin/" } }, { name: b, match: { path_prefix: /Billing/ } }]', 'p.yaml'));
    expect(strict(request('/ADMIN/x')).index).toBe(-1);
    expect(relaxed(request('/ADMIN/x')).index).toBe(0);
    expect(relaxed(request('/billing/x')).index).toBe(1);
    expect(strict({ ...request('/admin/x'), uri: '/admin/x?y=/other' }).index).toBe(0);
  });
});
