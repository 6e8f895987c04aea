import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFromResolverHeaders } from '../../src/resolver/resolver-headers.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { createLogger } from '../../src/observability/logging.js';
import { captureLogs } from '../support/log-capture.js';
import { valueOf } from '../support/prometheus.js';
import { outcomeOf, reasonOf } from '../support/answers.js';
import { writePolicy } from '../support/policies.js';

// Identity the app reads is exactly what the token proved: never cut, never a role outside
// Authgear's grammar, never a date that is no date.
const TENANT = 'https://app.example.test/tenant';
const POLICY = `
rules:
  - { name: admin, match: { path_prefix: /admin/ }, roles: [admin] }
  - { name: staff, match: { path_prefix: /staff/ }, roles: [staff] }
  - { name: fresh, match: { path_prefix: /fresh/ }, max_auth_age: 300 }
`;

let authgear: AuthgearStandIn;
let gate: TestGate;
const logs = captureLogs();

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  const policy = writePolicy(POLICY);
  gate = await startTestGate(authgear, { POLICY_FILE: policy, CLAIM_HEADERS: `${TENANT}=x-authgear-tenant`, LOG_LEVEL: 'info' }, { logger: createLogger('info', logs.stream) });
});
afterAll(async () => {
  await gate?.close();
  await authgear?.close();
});
const at = (path: string, token: string) => gate.auth({ ...bearer(token), 'x-original-uri': path });
const outcome = outcomeOf;

describe('identity headers are never cut', () => {
  it('refuses a user id, role list, scope or client id over 2048 characters with identity_too_large, two users never become one', async () => {
    const long = 'u'.repeat(2048);
    for (const sub of [`${long}-alice`, `${long}-bob`]) {
      expect(await outcome(at('/x', await authgear.accessToken({ claims: { sub } }))), sub.slice(-5)).toEqual([403, 'identity_too_large']);
    }
    const roles = Array.from({ length: 80 }, (_, index) => `role_${index}_${'r'.repeat(30)}`);
    expect(await outcome(at('/x', await authgear.accessToken({ claims: { [CLAIMS.roles]: roles } })))).toEqual([403, 'identity_too_large']);
    expect(await outcome(at('/x', await authgear.accessToken({ claims: { scope: `openid ${'s'.repeat(2100)}` } })))).toEqual([403, 'identity_too_large']);
    expect(await outcome(at('/x', await authgear.accessToken({ claims: { client_id: 'c'.repeat(2100) } })))).toEqual([403, 'identity_too_large']);
    // Exactly at the bound, it passes whole.
    const answer = await at('/x', await authgear.accessToken({ claims: { sub: 'u'.repeat(2048) } }));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-authgear-user-id')).toBe('u'.repeat(2048));
  });

  it('leaves out a custom claim header that would be too long, counts it, and lets the request through', async () => {
    const before = valueOf(await gate.metrics.text(), 'authgear_gate_claim_headers_omitted_total', { header: 'x-authgear-tenant' }) ; 
    const answer = await at('/x', await authgear.accessToken({ claims: { [TENANT]: 't'.repeat(3000) } }));
    expect(answer.status).toBe(200);
    expect(answer.headers.has('x-authgear-tenant')).toBe(false);
    expect(valueOf(await gate.metrics.text(), 'authgear_gate_claim_headers_omitted_total', { header: 'x-authgear-tenant' })).toBe(before + 1);
    const short = await at('/x', await authgear.accessToken({ claims: { [TENANT]: 'acme' } }));
    expect(short.headers.get('x-authgear-tenant')).toBe('acme');
  });
});

describe('roles outside Authgear\'s grammar (1-40 of [a-zA-Z0-9:_], starting with a letter or _)', () => {
  const BAD = ['staff,admin', 'admin ', ' admin', 'ad min', '1admin', 'admin;x', 'a'.repeat(41), '', 'admin\u0000', 'ädmin', 'admin-x'];

  it.each(BAD)('%j is neither matched by policy nor written to X-Authgear-User-Roles', async (bad) => {
    const answer = await at('/x', await authgear.accessToken({ claims: { [CLAIMS.roles]: [bad, 'editor'] } }));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-authgear-user-roles')).toBe('editor');
    expect(await outcome(at('/admin/x', await authgear.accessToken({ claims: { [CLAIMS.roles]: [bad] } })))).toEqual([403, 'missing_role']);
  });

  it('keeps every role of the grammar, `:` and `_` included, and matches them', async () => {
    const roles = ['admin', 'staff', '_internal', 'org:billing', 'A1_b2:C3', 'x'.repeat(40)];
    const answer = await at('/staff/x', await authgear.accessToken({ claims: { [CLAIMS.roles]: roles } }));
    expect([answer.status, answer.headers.get('x-authgear-user-roles')]).toEqual([200, roles.join(',')]);
  });

  it('logs the first of each ignored role once and counts every one', async () => {
    const before = valueOf(await gate.metrics.text(), 'authgear_gate_roles_ignored_total') ; 
    for (let round = 0; round < 3; round++) await at('/x', await authgear.accessToken({ claims: { [CLAIMS.roles]: ['once,only', 'twice!'] } }));
    expect(valueOf(await gate.metrics.text(), 'authgear_gate_roles_ignored_total')).toBe(before + 6);
    const lines = logs.lines().filter((line) => String(line['msg']).startsWith('ignored a role'));
    expect(lines.filter((line) => line['role'] === 'once,only')).toHaveLength(1);
    expect(lines.filter((line) => line['role'] === 'twice!')).toHaveLength(1);
  });

  it('are dropped from a resolver answer too', () => {
    const refused: string[] = [];
    const headers: Record<string, string> = {
      'x-authgear-user-id': 'u1', 'x-authgear-user-anonymous': 'false', 'x-authgear-user-verified': 'true',
      'x-authgear-user-can-reauthenticate': 'true', 'x-authgear-user-roles': 'editor,bad role,admin',
    };
    const identity = identityFromResolverHeaders((name) => headers[name], (role) => refused.push(role));
    expect([identity.roles, refused]).toEqual([['editor', 'admin'], ['bad role']]);
  });
});

describe('numeric dates are real dates', () => {
  // Signed as written: JSON's 1e309 parses to Infinity, which no clock ever passes.
  const withClaim = (claim: string, literal: string) => (json: string) => {
    const replaced = json.replace(new RegExp(`"${claim}":[0-9.e+-]+`), `"${claim}":${literal}`);
    return replaced === json ? json.replace(/^\{/, `{"${claim}":${literal},`) : replaced;
  };

  it.each([
    ['exp', '1e309'], ['exp', '-1e309'], ['iat', '1e309'], ['nbf', '-1e309'], ['auth_time', '1e309'], ['auth_time', '-5'],
    ['auth_time', '"1700000000"'], ['exp', '1e12'], ['iat', '-1'],
  ])('refuses %s: %s, never a token that never expires', async (claim, literal) => {
    const token = await authgear.accessToken({ payloadText: withClaim(claim, literal) });
    const answer = await at('/x', token);
    expect(answer.status, `${claim}: ${literal}`).toBe(401);
    expect(answer.headers.get('x-authgear-session-authenticated-at')).toBeNull();
    expect(['claims_invalid', 'token_expired', 'token_not_yet_valid']).toContain(reasonOf(answer));
  });

  it('refuses an exp or auth_time of Infinity with claims_invalid, on routes with freshness too', async () => {
    for (const claim of ['exp', 'auth_time']) {
      expect(await outcome(at('/fresh/x', await authgear.accessToken({ payloadText: withClaim(claim, '1e309') }))), claim).toEqual([401, 'claims_invalid']);
    }
  });

  it('refuses the same in an ID token', async () => {
    const { createIdTokenVerifier } = await import('../../src/decision/authentication/jwt/id-token-verifier.js');
    const { createJwtVerifier } = await import('../../src/decision/authentication/jwt/verify-jwt.js');
    const verifyJwt = createJwtVerifier({ keysFor: gate.keyStore.keysFor, issuer: authgear.origin, algorithms: ['RS256'], clockSkewSeconds: 30, now: Date.now });
    const verifier = createIdTokenVerifier({ verifyJwt, clientIds: ['test-client'], maxTokenBytes: 8192 });
    await expect(verifier.verify(await authgear.idToken({ payloadText: withClaim('auth_time', '1e309') }))).rejects.toMatchObject({ code: 'claims_invalid' });
    await expect(verifier.verify(await authgear.idToken({ payloadText: withClaim('exp', '1e309') }))).rejects.toMatchObject({ code: 'claims_invalid' });
  });
});
