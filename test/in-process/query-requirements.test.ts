import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Denial } from '../../src/decision/outcome.js';
import type { OriginalRequest } from '../../src/decision/request/original-request.js';
import { parsePolicy } from '../../src/decision/policy/policy-file.js';
import { parseQueryRequirements } from '../../src/decision/policy/query-requirements.js';
import { createRequirementLookup } from '../../src/decision/policy/route-requirements.js';
import { DEFAULT_REQUIREMENTS } from '../../src/decision/policy/requirements.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { REPO, tempDir } from '../support/processes.js';
import { reasonOf } from '../support/answers.js';

let authgear: AuthgearStandIn;
let gate: TestGate;
let withPolicy: TestGate;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear);
  const file = join(tempDir('policy'), 'policy.json');
  writeFileSync(file, JSON.stringify({ rules: [{ name: 'admin', match: { path_prefix: '/admin/' }, roles: ['admin'] }] }));
  withPolicy = await startTestGate(authgear, { POLICY_FILE: file });
});
afterAll(async () => {
  await gate.close();
  await withPolicy.close();
  await authgear.close();
});
const withRoles = (...roles: string[]) => authgear.accessToken({ claims: { [CLAIMS.roles]: roles } }).then(bearer);
const request = (uri: string): OriginalRequest => ({ protocol: 'nginx', method: 'GET', proto: 'https', host: 'a.test', uri, path: uri.split('?')[0]! });

describe('requirements as auth URL query parameters', () => {
  it('applies roles=admin to that location only', async () => {
    expect(reasonOf(await gate.auth(await withRoles('editor'), '/auth?roles=admin'))).toBe('missing_role');
    expect((await gate.auth(await withRoles('admin'), '/auth?roles=admin')).status).toBe(200);
    expect((await gate.auth(await withRoles('editor'), '/auth')).status).toBe(200);
    // nginx sends `/auth?` when the location set no query
    expect((await gate.auth(await withRoles('editor'), '/auth?')).status).toBe(200);
  });

  it('reads every parameter', () => {
    expect(parseQueryRequirements('access=deny&deny_anonymous=true&require_verified=false&roles=a,b&all_roles=c&mode=resolver&max_age=60&freshness_from=id_token&when_cannot_reauthenticate=allow&allow_cors_preflight=true')).toEqual({
      access: 'deny', deny_anonymous: true, require_verified: false, roles: { any_of: ['a', 'b'], all_of: ['c'] }, mode: 'resolver',
      max_auth_age: 60, freshness_from: 'id_token', when_cannot_reauthenticate: 'allow', allow_cors_preflight: true,
    });
    expect(parseQueryRequirements('max_auth_age=5')).toEqual({ max_auth_age: 5 });
  });

  it.each([
    ['max_age=abc', 'max_age'],
    ['max_age=-1', 'max_age'],
    ['max_age=99999999999', 'max_age'],
    ['roles=', 'roles'],
    ['roles=a%20b', 'roles'],
    ['mode=magic', 'mode'],
    ['deny_anonymous=yes', 'deny_anonymous'],
    ['colour=blue', 'colour'],
    ['roles=a&roles=b', 'roles'],
    ['max_age=1&max_auth_age=2', 'max_auth_age'],
    ['freshness_from=id_token', 'needs max_age'],
    ['max_age=1&freshness_from=id_token', 'needs CLIENT_IDS'],
  ])('refuses %s with 403 policy_invalid, naming %s in the log', async (query, named) => {
    gate.decisions.length = 0;
    const response = await gate.auth(await withRoles('admin'), `/auth?${query}`);
    expect([response.status, reasonOf(response)]).toEqual([403, 'policy_invalid']);
    expect(response.headers.has('www-authenticate')).toBe(false);
    expect(String((gate.decisions[0]!.error as Error).message)).toContain(named);
  });

  it('lists every problem of one query at once', () => {
    let message = '';
    try {
      parseQueryRequirements('max_age=x&mode=y&z=1');
    } catch (error) {
      message = (error as Denial).message;
    }
    for (const problem of ['max_age: ', 'mode: ', 'z: unknown parameter']) expect(message).toContain(problem);
  });

  it('refuses a query equal to the client\'s own: a gateway must never forward it', async () => {
    const response = await gate.auth({ 'x-original-uri': '/x?access=public' }, '/auth?access=public');
    expect([response.status, reasonOf(response)]).toEqual([403, 'policy_invalid']);
  });

  it('lays the query over the policy rule: fields it names are replaced, the others kept', async () => {
    const old = await authgear.accessToken({ claims: { [CLAIMS.roles]: ['admin'], auth_time: Math.floor(Date.now() / 1000) - 3600 } });
    expect(reasonOf(await withPolicy.auth({ ...(await withRoles('editor')), 'x-original-uri': '/admin/x' }, '/auth?max_age=300'))).toBe('missing_role');
    expect(reasonOf(await withPolicy.auth({ ...bearer(old), 'x-original-uri': '/admin/x' }, '/auth?max_age=300'))).toBe('auth_too_old');
    expect((await withPolicy.auth({ ...(await withRoles('editor')), 'x-original-uri': '/admin/x' }, '/auth?roles=editor')).status).toBe(200);
  });
});

describe('the requirement lookup', () => {
  it('costs nothing without a query or policy: the same frozen default every time', () => {
    const lookup = createRequirementLookup({ policy: undefined, idTokensEnabled: false });
    expect(lookup(request('/a'), '').requirements).toBe(DEFAULT_REQUIREMENTS);
    expect(Object.isFrozen(DEFAULT_REQUIREMENTS)).toBe(true);
  });

  it('compiles a query once per rule, and remembers a bad one as its refusal', () => {
    const policy = parsePolicy('rules: [{ name: a, match: { path_prefix: /a/ }, roles: [x] }]', 'p.yaml');
    const lookup = createRequirementLookup({ policy, idTokensEnabled: false, cacheMaxEntries: 4 });
    const first = lookup(request('/a/1'), 'max_age=5');
    expect(lookup(request('/a/2'), 'max_age=5')).toBe(first);
    expect(first).toMatchObject({ rule: 'a', requirements: { rolesAnyOf: ['x'], maxAuthAge: 5 } });
    expect(lookup(request('/b'), 'max_age=5')).toMatchObject({ rule: 'default', requirements: { rolesAnyOf: [], maxAuthAge: 5 } });
    let refusal: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        lookup(request('/a/1'), 'max_age=x');
      } catch (error) {
        if (attempt === 0) refusal = error;
        else expect(error).toBe(refusal);
      }
    }
    expect(refusal).toBeInstanceOf(Denial);
  });
});

describe('the shipped gateway examples', () => {
  const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
  const nginxQueries = [...readdirSync(join(REPO, 'nginx')).map((name) => `nginx/${name}`), ...readdirSync(join(REPO, 'nginx/authgear-gate')).map((name) => `nginx/authgear-gate/${name}`)]
    .filter((path) => path.endsWith('.conf'))
    .flatMap((path) => [...read(path).matchAll(/set \$authgear_gate_query "([^"]*)";/g)].map((match) => match[1]!));
  const caddyQueries = [...read('caddy/Caddyfile').matchAll(/import authgear_gate \S+ \/auth\?(\S*)/g)].map((match) => match[1]!);
  const traefikAddresses = [
    ...Object.values(parseYaml(read('traefik/dynamic.yml')).http.middlewares as Record<string, { forwardAuth?: { address: string } }>),
    ...parseAllDocuments(read('traefik/middleware.yaml')).map((document) => (document.toJS() as { spec: { forwardAuth?: { address: string } } }).spec),
  ].flatMap((middleware) => (middleware.forwardAuth ? [middleware.forwardAuth.address] : []));

  it('ask for a 5-minute login on a sensitive route, for admins on an admin route and no credentials on a public one, in valid queries', () => {
    expect(nginxQueries.length).toBeGreaterThanOrEqual(5);
    for (const queries of [nginxQueries, caddyQueries, traefikAddresses.map((address) => new URL(address).search.slice(1))]) {
      const parsed = queries.map((query) => parseQueryRequirements(query));
      expect(parsed).toContainEqual({ max_auth_age: 300 });
      expect(parsed).toContainEqual({ roles: { any_of: ['admin'] } });
      // Public routes ask the sidecar too, which still checks path and headers.
      expect(parsed).toContainEqual({ access: 'public' });
    }
    expect(traefikAddresses).toHaveLength(8);
  });

  it('show nginx and Caddy an API registered as an Authgear resource, users and machine clients alike', () => {
    const api = { resource: 'https://api.example.com/inventory', scopes: { all_of: ['read:inventory'] }, principals: 'any' };
    expect(nginxQueries.map((query) => parseQueryRequirements(query))).toContainEqual(api);
    expect(caddyQueries.map((query) => parseQueryRequirements(query))).toContainEqual(api);
  });

  it('give Caddy an explicit query on every auth URL, so the client\'s query is never forwarded', () => {
    expect(read('caddy/Caddyfile').match(/\/auth(?!\?)\b/g)).toBeNull();
    expect(caddyQueries).toHaveLength(5);
  });
});
