import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DENIAL_STATUS } from '../../src/errors.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate, type TestGate } from '../support/gate.js';
import { authorizationValue, cookieValue, headerValue, host, method, originalUri } from '../support/hostile.js';
import { REASON_HEADER } from '../support/answers.js';

let authgear: AuthgearStandIn;
let gate: TestGate;
let validToken: string;
const VALID_SUB = 'user-valid-1';
const TENANT_CLAIM = 'https://app.example.test/tenant';

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear, { CLAIM_HEADERS: `${TENANT_CLAIM}=x-authgear-tenant`, MAX_TOKEN_BYTES: '4096' });
  validToken = await authgear.accessToken({ claims: { sub: VALID_SUB } });
});
afterAll(async () => {
  await gate.close();
  await authgear.close();
});

const FAIL_CLOSED = new Set(['keys_unavailable', 'resolver_unavailable']);

/** What every answer must look like, whatever was sent. */
function expectSafeAnswer(response: Response, mayAllow: boolean) {
  for (const [name, value] of response.headers) {
    expect(name).toMatch(/^[a-z0-9-]+$/);
    expect(value, name).toMatch(/^[\x20-\x7e]*$/);
  }
  expect(response.headers.get('content-length')).toBe('0');
  const reason = response.headers.get(REASON_HEADER);
  if (response.status === 200) {
    expect(mayAllow, 'allowed without valid credentials').toBe(true);
    return;
  }
  expect(reason !== null && reason in DENIAL_STATUS, `reason ${reason}`).toBe(true);
  expect(response.status).toBe(DENIAL_STATUS[reason as keyof typeof DENIAL_STATUS]);
  if (response.status >= 500) expect(FAIL_CLOSED.has(reason!), `a ${response.status} that is not fail-closed: ${reason}`).toBe(true);
  expect([...response.headers.keys()].filter((name) => name.startsWith('x-authgear-') && name !== REASON_HEADER)).toEqual([]);
}

const requestHeaders = () =>
  fc.record(
    {
      credential: fc.oneof(
        { weight: 5, arbitrary: authorizationValue(authgear.origin, validToken).map((authorization) => ({ authorization, valid: false })) },
        { weight: 1, arbitrary: fc.constant({ authorization: `Bearer ${validToken}`, valid: true }) },
        { weight: 1, arbitrary: fc.constant({ authorization: undefined, valid: false }) },
      ),
      cookie: cookieValue,
      'x-original-uri': originalUri,
      'x-original-method': method,
      'x-original-host': host,
      'x-forwarded-uri': originalUri,
      'x-forwarded-method': method,
      'x-forwarded-host': host,
      'x-forwarded-proto': fc.oneof(fc.constantFrom('https', 'http', 'HTTPS, http', 'gopher'), headerValue(20)),
      'x-request-id': headerValue(300),
      'x-authgear-user-id': fc.constant('admin'),
      extra: fc.array(fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), headerValue(100)), { maxLength: 5 }),
    },
    { requiredKeys: ['credential'] },
  );

describe('hostile input to /auth (in process, generated)', () => {
  it('never allows without valid credentials, never answers an undocumented 5xx, never leaks unsafe bytes', async () => {
    await fc.assert(
      fc.asyncProperty(requestHeaders(), fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'), async (input, requestMethod) => {
        const headers = new Headers();
        const { credential, extra, ...named } = input;
        if (credential.authorization !== undefined) headers.set('authorization', credential.authorization);
        for (const [name, value] of Object.entries(named)) if (value !== undefined) headers.set(name, value);
        for (const [name, value] of extra ?? []) headers.append(name, value);
        const response = await gate.request('/auth', { method: requestMethod, headers: Object.fromEntries(headers) });
        expectSafeAnswer(response, credential.valid);
        if (response.status === 200) expect(response.headers.get('x-authgear-user-id')).toBe(VALID_SUB);
        // A valid credential is refused only for the rest of the request: a header our reader or Node's parser refused.
        if (credential.valid && response.status !== 200) expect(['request_malformed', 'request_unparsable']).toContain(response.headers.get(REASON_HEADER));
      }),
      { numRuns: 400 },
    );
  });

  it('keeps hostile claim values of a validly signed token out of the header syntax', async () => {
    const hostileText = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constantFrom('a\r\nX-Injected: 1', 'user\u2028x', '\u0000', 'é', '\ud800lone', '%0d%0a', 'x'.repeat(3000)),
    );
    const claims = fc.record({
      sub: hostileText.filter((sub) => sub !== ''),
      roles: fc.array(hostileText, { maxLength: 4 }),
      amr: fc.array(hostileText, { maxLength: 3 }),
      tenant: fc.oneof(fc.jsonValue(), hostileText),
    });
    await fc.assert(
      fc.asyncProperty(claims, async ({ sub, roles, amr, tenant }) => {
        const token = await authgear.accessToken({ claims: { sub, amr, [CLAIMS.roles]: roles, [TENANT_CLAIM]: tenant } });
        if (token.length > 4096) return;
        const response = await gate.request('/auth', { headers: { authorization: `Bearer ${token}`, 'x-original-uri': '/', host: 'app.example.test' } });
        expectSafeAnswer(response, true);
        expect(response.status).toBe(200);
        const userId = response.headers.get('x-authgear-user-id')!;
        const wellFormed = !/[\ud800-\udfff]/.test(sub.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
        if (sub.length < 500 && wellFormed) expect(decodeURIComponent(userId)).toBe(sub);
      }),
      { numRuns: 150 },
    );
  });
});
