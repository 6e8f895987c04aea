import { captureLogs } from '../support/log-capture.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { parsePolicy } from '../../src/decision/policy/policy-file.js';
import { parseQueryRequirements } from '../../src/decision/policy/query-requirements.js';
import { createLogger } from '../../src/observability/logging.js';
import { RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { valueOf } from '../support/prometheus.js';
import { outcomeOf, reasonOf } from '../support/answers.js';

// What sessions, opaque tokens and machine clients meet on routes with resource and scope
// requirements given as auth URL query parameters; and what metrics and logs say of them.
const ORDERS = 'https://api.example.test/orders';
const ROUTE = `/auth?resource=${encodeURIComponent(ORDERS)}&scopes=read:orders`;

let authgear: AuthgearStandIn;
let gate: TestGate;
const { stream: logStream, text: logLines } = captureLogs();

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear, {}, { logger: createLogger('debug', logStream) });
});
afterAll(async () => {
  await gate?.close();
  await authgear?.close();
});
const outcome = outcomeOf;
const machine = (scopes: string[]) => authgear.machineToken({ resource: ORDERS, scopes }).then(bearer);

describe('requirements as auth URL query parameters', () => {
  it('reads resource, scopes (all of), any_scopes and principals', () => {
    expect(parseQueryRequirements(`resource=${ORDERS}&scopes=a:b,c&any_scopes=d,e&principals=clients`)).toEqual({
      resource: ORDERS, scopes: { all_of: ['a:b', 'c'], any_of: ['d', 'e'] }, principals: 'clients',
    });
  });

  it('applies them per location', async () => {
    expect(await outcome(gate.auth(await machine(['read:orders']), `${ROUTE}&principals=clients`))).toEqual([200, 'allowed']);
    expect(await outcome(gate.auth(await machine(['read:orders']), ROUTE))).toEqual([403, 'principal_not_allowed']);
    expect(await outcome(gate.auth(await machine(['write:orders']), `${ROUTE}&principals=any`))).toEqual([403, 'insufficient_scope']);
    expect(await outcome(gate.auth(await machine(['write:orders']), `/auth?resource=${ORDERS}&any_scopes=read:orders,write:orders&principals=any`))).toEqual([200, 'allowed']);
    expect(await outcome(gate.auth(await machine(['read:orders']), `/auth?resource=${ORDERS}/&principals=any`))).toEqual([401, 'wrong_audience']);
  });

  it.each([
    ['resource=http://api.example.test/orders', 'resource'],
    ['resource=https://api.example.test/orders?x=1', 'resource'],
    ['resource=https://api.example.test/orders%23top', 'resource'],
    ['resource=https://user@api.example.test/orders', 'resource'],
    ['resource=https://user:pw@api.example.test/', 'resource'],
    ['resource=/orders', 'resource'],
    ['resource=https://', 'resource'],
    ['resource=https://api.example.test/a b', 'resource'],
    ['scopes=', 'scopes'],
    ['scopes=a"b', 'scopes'],
    ['any_scopes=a\\b', 'any_scopes'],
    ['scopes=a&scopes=b', 'scopes'],
    ['principals=robots', 'principals'],
    ['principals=clients&roles=admin', 'principals clients cannot have roles'],
    ['principals=clients&max_age=60', 'principals clients cannot have max_auth_age'],
    ['principals=clients&require_verified=true', 'principals clients cannot require_verified'],
    ['mode=resolver&scopes=a', 'mode resolver would refuse every request'],
    ['mode=resolver&resource=https://api.example.test/orders', 'mode resolver would refuse every request'],
  ])('refuses %s with 403 policy_invalid, naming %s', async (query, named) => {
    gate.decisions.length = 0;
    const response = await gate.auth(await machine(['a']), `/auth?${query.replaceAll(' ', '%20').replaceAll('"', '%22')}`);
    expect([response.status, reasonOf(response)]).toEqual([403, 'policy_invalid']);
    expect(String((gate.decisions[0]!.error as Error).message)).toContain(named);
  });

  it('refuses a query that needs a JWT when AUTH_MODE is resolver and the query names no mode', async () => {
    const resolverOnly = await startTestGate(authgear, { AUTH_MODE: 'resolver' });
    try {
      const { value } = authgear.sessions.issue('session');
      expect(await outcome(resolverOnly.auth({ cookie: `session=${value}` }, '/auth?scopes=read:orders'))).toEqual([403, 'policy_invalid']);
      expect(await outcome(resolverOnly.auth(await machine(['read:orders']), '/auth?scopes=read:orders&mode=jwt&resource=https://api.example.test/orders&principals=any'))).toEqual([200, 'allowed']);
    } finally {
      await resolverOnly.close();
    }
  });
});

describe('policy files refuse what would refuse every request', () => {
  const problemsOf = (text: string, env: Record<string, string> = {}) => {
    try {
      loadConfig({ AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud', POLICY_FILE: 'p.yaml', ...env }, { readFile: () => text });
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      throw error;
    }
  };

  it('lists bad resources and scopes, and contradictions, at start', () => {
    const problems = problemsOf(`
rules:
  - { match: { path_prefix: /a }, resource: "https://api.example.test/a?x" }
  - { match: { path_prefix: /b }, resource: "ftp://api.example.test/b" }
  - { match: { path_prefix: /c }, scopes: { all_of: ["read orders"] } }
  - { match: { path_prefix: /d }, principals: machines }
  - { match: { path_prefix: /e }, principals: clients, roles: [admin] }
  - { match: { path_prefix: /f }, mode: resolver, scopes: [read:orders] }
`);
    expect(problems.join('\n')).toMatch(/rules\.0\.resource[^]*rules\.1\.resource[^]*rules\.2\.scopes\.all_of\.0[^]*rules\.3\.principals/);
    expect(parsePolicyProblems('rules: [{ match: { path_prefix: /e }, principals: clients, roles: [admin] }]')).toEqual(['POLICY_FILE: rules.0: principals clients cannot have roles (machine clients have none)']);
    expect(parsePolicyProblems('rules: [{ match: { path_prefix: /f }, mode: resolver, scopes: [read:orders] }]')[0]).toContain('mode resolver would refuse every request');
  });

  it('refuses a rule that needs a JWT under AUTH_MODE=resolver unless it names another mode', () => {
    const policy = 'rules: [{ match: { path_prefix: /a }, resource: "https://api.example.test/a" }]';
    expect(problemsOf(policy, { AUTH_MODE: 'resolver' }).join()).toContain('AUTH_MODE is resolver');
    expect(problemsOf(policy)).toEqual([]);
    expect(problemsOf('rules: [{ match: { path_prefix: /a }, resource: "https://api.example.test/a", mode: jwt }]', { AUTH_MODE: 'resolver' })).toEqual([]);
  });

  it('keeps what it was given: scopes lists mean all of them, resources are not rewritten', () => {
    const [rule] = parsePolicy('rules: [{ match: { path_prefix: /a }, resource: "https://API.example.test", scopes: [a, b], principals: any }]', 'p.yaml').rules;
    expect(rule!.requirements).toMatchObject({ resource: 'https://API.example.test', scopesAllOf: ['a', 'b'], scopesAnyOf: [], principals: 'any' });
  });
});

function parsePolicyProblems(text: string): string[] {
  try {
    parsePolicy(text, 'p.yaml');
    return [];
  } catch (error) {
    return [...(error as ConfigError).problems];
  }
}

describe('sessions and opaque tokens on routes that need a JWT access token', () => {
  it('refuses a session cookie or a resolved opaque token where a resource or scopes are required', async () => {
    const { value: session } = authgear.sessions.issue('session');
    const { value: opaque } = authgear.sessions.issue('bearer');
    for (const query of [ROUTE, `/auth?resource=${ORDERS}`, '/auth?scopes=openid', '/auth?any_scopes=openid']) {
      expect(await outcome(gate.auth({ cookie: `session=${session}` }, query)), query).toEqual([403, 'access_token_required']);
      expect(await outcome(gate.auth(bearer(opaque), query)), query).toEqual([403, 'access_token_required']);
    }
    expect(await outcome(gate.auth({ cookie: `session=${session}` }))).toEqual([200, 'allowed']);
    // A resolver answer is a user's: never a machine client's.
    expect(await outcome(gate.auth({ cookie: `session=${session}` }, '/auth?principals=clients'))).toEqual([403, 'principal_not_allowed']);
    expect(await outcome(gate.auth({ cookie: `session=${session}` }, '/auth?principals=any'))).toEqual([200, 'allowed']);
  });

  it('answers a session without client or scope headers, as the resolver reports neither', async () => {
    const { value } = authgear.sessions.issue('session');
    const response = await gate.auth({ cookie: `session=${value}` });
    expect(response.headers.has('x-authgear-client-id')).toBe(false);
    expect(response.headers.has('x-authgear-scope')).toBe(false);
  });

  it('answers a third-party client\'s opaque token with 401: the resolver says Session-Valid: false', async () => {
    const { value } = authgear.sessions.issue('third_party_bearer');
    const before = authgear.count(RESOLVE_PATH);
    for (const query of ['/auth', ROUTE]) {
      const response = await gate.auth(bearer(value), query);
      expect([response.status, reasonOf(response)], query).toEqual([401, 'session_invalid']);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(response.headers.has('set-cookie')).toBe(false);
    }
    // One resolve, then the refusal came from the negative cache.
    expect(authgear.count(RESOLVE_PATH)).toBe(before + 1);
    expect(authgear.sessions.requests.at(-1)?.authorization).toBe(`Bearer ${value}`);
  });
});

describe('metrics and logs name the principal', () => {
  it('counts users, clients and nobody apart, refusals after authentication included', async () => {
    const scrape = async () => (await gate.request('/metrics')).text();
    const before = await scrape();
    const user = bearer(await authgear.accessToken());
    expect((await gate.auth(user)).status).toBe(200);
    expect((await gate.auth(await machine(['read:orders']), `${ROUTE}&principals=clients`)).status).toBe(200);
    expect((await gate.auth(await machine(['read:orders']), ROUTE)).status).toBe(403);
    expect((await gate.auth(user, '/auth?principals=clients')).status).toBe(403);
    expect((await gate.auth()).status).toBe(401);
    const after = await scrape();
    const moved = (labels: Record<string, string>) => valueOf(after, 'authgear_gate_decisions_total', labels) - valueOf(before, 'authgear_gate_decisions_total', labels);
    expect(moved({ result: 'allow', reason: 'allowed', via: 'jwt', principal: 'user' })).toBe(1);
    expect(moved({ result: 'allow', reason: 'allowed', via: 'jwt', principal: 'client' })).toBe(1);
    expect(moved({ reason: 'principal_not_allowed', principal: 'client' })).toBe(1);
    expect(moved({ reason: 'principal_not_allowed', principal: 'user' })).toBe(1);
    expect(moved({ reason: 'credentials_missing', principal: 'none' })).toBe(1);
  });

  it('writes the principal on every decision line', async () => {
    const from = logLines.length;
    await gate.auth(await machine(['read:orders']), `${ROUTE}&principals=clients`);
    await gate.auth(await machine(['write:orders']), `${ROUTE}&principals=clients`);
    await gate.auth();
    await new Promise((resolve) => setImmediate(resolve));
    const lines = logLines.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.msg, line.reason, line.principal])).toEqual([
      ['allowed', 'allowed', 'client'],
      ['denied', 'insufficient_scope', 'client'],
      ['denied', 'credentials_missing', undefined],
    ]);
  });
});
