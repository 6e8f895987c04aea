import type { AuthgearStandIn } from '../../test/support/authgear-stand-in.js';
import { CLAIMS } from '../../test/support/authgear-stand-in.js';

/** One ready-to-paste request and what it should answer. */
export interface Example {
  title: string;
  /** The curl command line, exactly as printed. */
  command: string;
  expectStatus: number;
  /** What to look for in the answer. */
  note: string;
}

// Tokens that stay valid for a working day, so printed commands keep working while you try them.
const WORKING_DAY = 8 * 3600;

/**
 * The demo's users and credentials, issued by the local Authgear stand-in exactly as Authgear
 * would, and the requests that show each decision. `target(path)` is where a request for the
 * app's `path` is sent; `asked(path)` is the curl options that say what a gateway would say, when there is none.
 */
export async function buildExamples(authgear: AuthgearStandIn, target: (path: string) => string, asked: (path: string) => string): Promise<Example[]> {
  const now = Math.floor(Date.now() / 1000);
  const alice = authgear.sessions.createUser({ verified: true, roles: [], authenticatedAt: now });
  const bob = authgear.sessions.createUser({ verified: true, roles: ['admin'], authenticatedAt: now });
  const token = (sub: string, claims: Record<string, unknown> = {}, expiresIn = WORKING_DAY, issuedAt = now) =>
    authgear.accessToken({ claims: { sub, auth_time: issuedAt, ...claims }, expiresIn, now: issuedAt });
  const aliceToken = await token(alice.id);
  const expired = await token(alice.id, {}, 600, now - 3600);
  const bobToken = await token(bob.id, { [CLAIMS.roles]: ['admin'] });
  const staleLogin = await token(alice.id, { auth_time: now - 3600 });
  const session = authgear.sessions.issue('session', alice).value;
  const curl = (path: string, header?: string) => `curl -si${asked(path)}${header ? ` -H '${header}'` : ''} '${target(path)}'`;
  const bearer = (value: string) => `Authorization: Bearer ${value}`;
  return [
    { title: 'A valid access token', command: curl('/api/orders', bearer(aliceToken)), expectStatus: 200, note: `the app sees X-Authgear-User-Id: ${alice.id}` },
    { title: 'An expired token', command: curl('/api/orders', bearer(expired)), expectStatus: 401, note: 'WWW-Authenticate: Bearer ... error="invalid_token"; reason token_expired' },
    { title: 'No credentials at all', command: curl('/api/orders'), expectStatus: 401, note: 'WWW-Authenticate: Bearer realm="authgear-gate"; reason credentials_missing' },
    { title: 'A session cookie, checked by Authgear\'s resolver', command: curl('/api/orders', `Cookie: session=${session}`), expectStatus: 200, note: `the app sees X-Authgear-User-Id: ${alice.id}` },
    { title: 'An admin-only route, as a user without the role', command: curl('/admin/users', bearer(aliceToken)), expectStatus: 403, note: 'reason missing_role' },
    { title: 'The same route, as an admin', command: curl('/admin/users', bearer(bobToken)), expectStatus: 200, note: 'X-Authgear-User-Roles: admin' },
    { title: 'A route that needs a login within 5 minutes, an hour after login', command: curl('/account/password', bearer(staleLogin)), expectStatus: 401, note: 'WWW-Authenticate: ... error="insufficient_user_authentication", max_age="300" (RFC 9470)' },
    { title: 'The same route, right after login', command: curl('/account/password', bearer(aliceToken)), expectStatus: 200, note: 'X-Authgear-Session-Authenticated-At is recent' },
    { title: 'A forged identity header, without a token', command: curl('/api/orders', 'X-Authgear-User-Id: admin'), expectStatus: 401, note: 'nothing reaches the app' },
  ];
}
