import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpellingTest } from '../../src/decision/request/header-spelling.js';
import { METHOD_OVERRIDE_HEADERS, overriddenMethods } from '../../src/decision/request/method-override.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { REASON_HEADER } from '../support/answers.js';
import { writePolicy } from '../support/policies.js';

// Express's method-override, OData, Laravel, Symfony and Spring let the client name another
// method than the request's; the app then does that. So the request passes only if it would
// pass as each method it can mean.
const POLICY = `
rules:
  - { name: deletes, match: { path_prefix: /api/, methods: [DELETE] }, roles: [admin] }
  - { name: writes, match: { path_prefix: /api/, methods: [PUT, PATCH] }, roles: [staff, admin] }
  - { name: api, match: { path_prefix: /api/ }, roles: [staff, admin] }
  - { name: public reads, match: { path_prefix: /public/, methods: [GET, HEAD, POST] }, access: public }
  - { name: closed, match: { path_prefix: /public/, methods: [DELETE] }, access: deny }
`;

let authgear: AuthgearStandIn;
let gate: TestGate;
let staff: string;
let admin: string;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  const policy = writePolicy(POLICY);
  gate = await startTestGate(authgear, { POLICY_FILE: policy });
  staff = await authgear.accessToken({ claims: { [CLAIMS.roles]: ['staff'] } });
  admin = await authgear.accessToken({ claims: { [CLAIMS.roles]: ['admin'] } });
});
afterAll(async () => {
  await gate?.close();
  await authgear?.close();
});

const ask = async (method: string, uri: string, headers: Record<string, string> = {}) => {
  const answer = await gate.auth({ 'x-original-method': method, 'x-original-uri': uri, ...headers });
  // An allow carries no reason header: the decision's own record says which kind it was.
  return [answer.status, answer.headers.get(REASON_HEADER) ?? gate.decisions.at(-1)!.code];
};

describe('a method override is judged as every method it can mean', () => {
  it.each(['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override', 'x-http-method-override', 'X-HTTP-METHOD-OVERRIDE'])(
    'a staff POST with %s: DELETE is refused where DELETE is for admins; an admin\'s passes',
    async (name) => {
      expect(await ask('POST', '/api/orders/7', { ...bearer(staff), [name]: 'DELETE' })).toEqual([403, 'missing_role']);
      expect(await ask('POST', '/api/orders/7', { ...bearer(staff), [name]: 'delete' })).toEqual([403, 'missing_role']);
      expect(await ask('POST', '/api/orders/7', { ...bearer(admin), [name]: 'DELETE' })).toEqual([200, 'allowed']);
      expect(await ask('POST', '/api/orders/7', { ...bearer(staff), [name]: 'PATCH' })).toEqual([200, 'allowed']);
    },
  );

  it.each([
    '_method=DELETE', 'page=2&_method=delete', '%5Fmethod=DELETE', '_method=GET&_method=DELETE', '.method=DELETE', '%20_method=DELETE', '[method=DELETE',
  ])('a staff POST with the query %s is refused where DELETE is for admins', async (query) => {
    expect(await ask('POST', `/api/orders/7?${query}`, bearer(staff))).toEqual([403, 'missing_role']);
    expect(await ask('POST', `/api/orders/7?${query}`, bearer(admin))).toEqual([200, 'allowed']);
  });

  it('judges every copy and every listed value of a header', async () => {
    expect(await ask('POST', '/api/orders/7', { ...bearer(staff), 'x-http-method-override': 'PATCH, DELETE' })).toEqual([403, 'missing_role']);
    expect(await ask('POST', '/api/orders/7', { ...bearer(staff), 'x-http-method-override': 'PATCH', 'x-method-override': 'DELETE' })).toEqual([403, 'missing_role']);
  });

  it('needs credentials when an override leaves a public route for a protected one, and closes what a rule closes', async () => {
    expect(await ask('POST', '/public/form', { 'x-http-method-override': 'GET' })).toEqual([200, 'public']);
    expect(await ask('POST', '/public/form', { 'x-http-method-override': 'PUT' })).toEqual([401, 'credentials_missing']);
    expect(await ask('POST', '/public/form', { ...bearer(staff), 'x-http-method-override': 'DELETE' })).toEqual([403, 'route_denied']);
    expect(await ask('GET', '/public/form?_method=DELETE')).toEqual([403, 'route_denied']);
  });

  it.each(['DEL ETE', 'DELETE;', 'DE\tLETE', '1DELETE', 'X'.repeat(21), 'DÉLETE'])('refuses an override naming no method (%j) as malformed', async (value) => {
    expect(await ask('POST', '/api/orders/7', { ...bearer(admin), 'x-http-method-override': value })).toEqual([401, 'request_malformed']);
    expect(await ask('POST', `/api/orders/7?_method=${encodeURIComponent(value)}`, bearer(admin))).toEqual([401, 'request_malformed']);
  });

  it.each(['X_HTTP_Method_Override', 'x.http.method', 'X-Method_Override', 'X~HTTP~Method'])('refuses the override header spelt %s, which CGI, WSGI and Rack apps read as the override', async (name) => {
    expect(await ask('POST', '/api/orders/7', { ...bearer(admin), [name]: 'GET' })).toEqual([401, 'request_malformed']);
  });

  it('ignores empty overrides and ones naming the request\'s own method, and parameters that only look alike', async () => {
    expect(await ask('POST', '/api/orders/7', { ...bearer(staff), 'x-http-method-override': '' })).toEqual([200, 'allowed']);
    expect(await ask('POST', '/api/orders/7?_method=&method=DELETE&_methods=DELETE&x_method=DELETE', bearer(staff))).toEqual([200, 'allowed']);
    expect(await ask('DELETE', '/api/orders/7', { ...bearer(admin), 'x-http-method-override': 'DELETE' })).toEqual([200, 'allowed']);
  });
});

describe('reading overrides', () => {
  const request = (method: string, uri: string) => ({ protocol: 'nginx' as const, method, proto: 'https' as const, host: 'a.test', uri, path: uri.split('?')[0]! });

  it('names the spellings of each header', () => {
    const spelling = createSpellingTest(METHOD_OVERRIDE_HEADERS);
    const overrideHeaderSpelling = (name: string) => {
      const found = spelling(name);
      return found === undefined ? undefined : found.exact ? 'exact' : 'alias';
    };
    expect(['X-HTTP-Method-Override', 'x-http-method', 'X-METHOD-OVERRIDE'].map(overrideHeaderSpelling)).toEqual(['exact', 'exact', 'exact']);
    expect(['X_HTTP_Method_Override', 'x.http.method', 'X-HTTP-Method_Override'].map(overrideHeaderSpelling)).toEqual(['alias', 'alias', 'alias']);
    expect(['X-HTTP-Method-Overrides', 'X-Original-Method', 'X-Forwarded-Method', 'X-HTTP', 'method-override'].map(overrideHeaderSpelling)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('lists each other method once, from headers and the query', () => {
    const header = (name: string) => ({ 'x-http-method': 'put', 'x-method-override': 'PATCH, PUT' } as Record<string, string>)[name];
    expect(overriddenMethods(request('POST', '/a?_method=DELETE&_method=POST'), header, true)).toEqual(['DELETE', 'PUT', 'PATCH']);
    expect(overriddenMethods(request('POST', '/a'), header, false)).toEqual([]);
  });
});
