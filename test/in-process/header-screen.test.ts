import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Denial } from '../../src/decision/outcome.js';
import { createHeaderScreen } from '../../src/decision/request/header-screen.js';
import { nodeHeaderReader } from '../../src/gateways/header-reader.js';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { reasonOf, REASON_HEADER } from '../support/answers.js';

const TENANT_CLAIM = 'https://app.example.test/tenant';
const check = createHeaderScreen({ idTokenHeader: 'X-Authgear-Id-Token' });
const refused = (name: string) => {
  try {
    check({ findName: (test: (name: string) => boolean) => [name].find(test) });
    return false;
  } catch (error) {
    expect(error).toBeInstanceOf(Denial);
    expect((error as Denial).code).toBe('request_malformed');
    return true;
  }
};

// What CGI, WSGI, PHP and Rack turn into HTTP_X_AUTHGEAR_USER_ID: every character but letters
// and digits becomes `_`, and HTTP allows these in a header name.
const ALIAS_SEPARATORS = ['_', '.', '!', '#', '$', '%', '&', "'", '*', '+', '^', '`', '|', '~'];

describe('headers only the sidecar may set, sent by the client', () => {
  it.each(ALIAS_SEPARATORS)('refuses every alias spelt with %j', (separator) => {
    for (const name of IDENTITY_HEADER_NAMES) {
      expect(refused(name.replaceAll('-', separator)), name).toBe(true);
      expect(refused(name.replace('-', separator)), name).toBe(true);
      expect(refused(name.toUpperCase().replace(/-(?=[^-]*$)/, separator)), name).toBe(true);
    }
    expect(refused(`X${separator}Authgear${separator}Id${separator}Token`)).toBe(true);
    expect(refused(`X${separator}Authgear${separator}Body${separator}Signature`)).toBe(true);
  });

  it('refuses any other x-authgear-* header: a custom claim header, or one the sidecar never sends', () => {
    for (const name of ['x-authgear-tenant', 'X-Authgear-Tenant', REASON_HEADER, 'x-authgear-', 'x-authgear-user-id-2', 'X-AUTHGEAR-ANYTHING']) {
      expect(refused(name), name).toBe(true);
    }
  });

  it('leaves the built-in identity headers, spelt exactly, to the gateway that replaces them, and lets the ID token and Authgear\'s webhook signature through', () => {
    for (const name of [...IDENTITY_HEADER_NAMES, ...IDENTITY_HEADER_NAMES.map((header) => header.toUpperCase()), 'x-authgear-id-token', 'X-Authgear-Id-Token', 'X-Authgear-Body-Signature']) {
      expect(refused(name), name).toBe(false);
    }
    for (const name of ['x-authgearx-user', 'xauthgear-user-id', 'x-authgea-user-id', 'authorization', 'x-request-id', 'x', 'x-authgear']) expect(refused(name), name).toBe(false);
  });

  it('refuses a routing or method override header spelt another way than its own, and lets the real spelling through', () => {
    for (const name of ['X_Forwarded_Host', 'x.forwarded.prefix', 'X-Original_URL', 'x~rewrite~url', 'X_Forwarded_Uri', 'x-original.uri', 'X_HTTP_Method_Override', 'x.method.override']) {
      expect(refused(name), name).toBe(true);
    }
    for (const name of ['X-Forwarded-Host', 'forwarded', 'Forwarded', 'X-ORIGINAL-URL', 'x-rewrite-url', 'X-Forwarded-Proto', 'X_Forwarded_Proto', 'X-HTTP-Method-Override', 'x-forwarded-hostname']) {
      expect(refused(name), name).toBe(false);
    }
  });

  it('reads every name Node parsed, repeats and odd case included', () => {
    const incoming = { headers: { host: 'a' }, rawHeaders: ['Host', 'a', 'X-Request-Id', '1', 'x_AUTHGEAR_user_ID', 'admin'] };
    const reader = nodeHeaderReader(incoming);
    const seen: string[] = [];
    expect(reader.findName!((name) => seen.push(name) > 2)).toBe('x_AUTHGEAR_user_ID');
    expect(seen).toEqual(['Host', 'X-Request-Id', 'x_AUTHGEAR_user_ID']);
    expect(() => check(reader)).toThrow(Denial);
    expect(() => check(nodeHeaderReader({ rawHeaders: ['X-Authgear-User-Id', 'x', 'X-Authgear-Id-Token', 'y'] }))).not.toThrow();
  });
});

describe('the /auth decision', () => {
  let authgear: AuthgearStandIn;
  let gate: TestGate;
  beforeAll(async () => {
    authgear = await startAuthgearStandIn();
    gate = await startTestGate(authgear, { CLAIM_HEADERS: `${TENANT_CLAIM}=x-authgear-tenant`, CLIENT_IDS: 'test-client' });
  });
  afterAll(async () => {
    await gate?.close();
    await authgear?.close();
  });

  it('refuses a forged custom claim header or alias, whatever the credentials, on public routes too', async () => {
    const token = await authgear.accessToken({ claims: { [TENANT_CLAIM]: 'acme' } });
    const forgeries: Array<Record<string, string>> = [{ 'x-authgear-tenant': 'evil' }, { x_authgear_user_id: 'admin' }, { 'x.authgear.user.roles': 'admin' }];
    for (const forged of forgeries) {
      for (const query of ['/auth', '/auth?access=public', '/auth?allow_cors_preflight=true']) {
        const response = await gate.auth({ ...bearer(token), ...forged }, query);
        expect([response.status, reasonOf(response)], `${JSON.stringify(forged)} ${query}`).toEqual([401, 'request_malformed']);
      }
    }
  });

  it('answers with its own claim header and identity when the client forged only built-ins', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-1', [TENANT_CLAIM]: 'acme' } });
    const response = await gate.auth({ ...bearer(token), 'x-authgear-user-id': 'admin', 'x-authgear-user-roles': 'admin', 'x-authgear-id-token': 'not-checked-here' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-authgear-user-id')).toBe('user-1');
    expect(response.headers.get('x-authgear-tenant')).toBe('acme');
    expect(response.headers.get('x-authgear-user-roles')).toBeNull();
  });
});
