import { Denial } from '../outcome.js';
import type { AccessGrant } from './access-grant.js';

/** A person signed in with Authgear, or a machine client holding an M2M (client_credentials) token. */
export type PrincipalKind = 'user' | 'client';

/**
 * Who the request is from, in the shape of Authgear's resolver answer, so the app behind the
 * gateway sees one contract whether a JWT was verified here or a session was resolved. A
 * client has none of a user's attributes: every flag false, no roles, no login time.
 */
export interface Identity {
  kind: PrincipalKind;
  /** The token's sub: a user id, or `client_id_<client id>` for a machine client. */
  userId: string;
  anonymous: boolean;
  verified: boolean;
  canReauthenticate: boolean;
  roles: readonly string[];
  amr: readonly string[];
  /** Unix seconds of the last authentication; undefined when unknown. */
  authenticatedAt: number | undefined;
  /** Custom claims mapped to headers by CLAIM_HEADERS, values already header-safe. */
  extraHeaders: ReadonlyArray<readonly [string, string]>;
}

export const HEADER = {
  sessionValid: 'x-authgear-session-valid',
  userId: 'x-authgear-user-id',
  anonymous: 'x-authgear-user-anonymous',
  verified: 'x-authgear-user-verified',
  canReauthenticate: 'x-authgear-user-can-reauthenticate',
  roles: 'x-authgear-user-roles',
  amr: 'x-authgear-session-amr',
  authenticatedAt: 'x-authgear-session-authenticated-at',
  /** JWT access tokens only: the client the token was issued to, and its granted scopes. */
  clientId: 'x-authgear-client-id',
  scope: 'x-authgear-scope',
} as const;

/** Headers that describe a user; a machine client's answer never carries one. */
export const USER_HEADER_PREFIX = 'x-authgear-user-';

/**
 * The identity signed for the app (ASSERTION_KEY_FILE): a short-lived JWT an app verifies
 * with the sidecar's public keys, so it can tell a request the sidecar judged from one that
 * reached it some other way. Absent when assertions are off.
 */
export const ASSERTION_HEADER = 'x-authgear-gate-assertion';

/** Every header the gateway must take from us and never from the client. */
export const IDENTITY_HEADER_NAMES: readonly string[] = [...Object.values(HEADER), ASSERTION_HEADER];

/**
 * The longest header value the sidecar sends. An identity that would need more is refused,
 * never cut: two users whose ids share the first 2048 characters must not become one.
 * (nginx also keeps the whole answer head in one 4-8 KiB buffer.)
 */
export const MAX_HEADER_VALUE = 2048;
// encodeURIComponent throws on a lone surrogate, which a signed claim may well contain.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Makes any claim value safe to put in a header: visible ASCII stays, everything else
 * (CR, LF, NUL, non-ASCII) is percent-encoded, so nothing can split or smuggle a header.
 * Never shortened: callers decide what a value over MAX_HEADER_VALUE means.
 */
export function headerSafe(value: unknown): string {
  const text =
    typeof value === 'string' ? value
    : Array.isArray(value) ? value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(',')
    : JSON.stringify(value) ?? '';
  return text.replace(LONE_SURROGATE, '\ufffd').replace(/[^\x20-\x7e]|%/gu, (char) => encodeURIComponent(char));
}

/** An identity header's value, or a refusal when it would not fit whole. */
function identityValue(name: string, value: unknown): readonly [string, string] {
  const safe = headerSafe(value);
  if (safe.length > MAX_HEADER_VALUE) throw new Denial('identity_too_large', `${name} would be ${safe.length} characters, over ${MAX_HEADER_VALUE}`);
  return [name, safe];
}

/**
 * Authgear's role (and group) keys: 1 to 40 of `[a-zA-Z0-9:_]`, starting with a letter or
 * `_`. A role outside it did not come from Authgear's role model (and `staff,admin` would
 * read as two roles once comma-joined), so it is neither matched by policy nor sent.
 */
export const AUTHGEAR_ROLE = /^[A-Za-z_][A-Za-z0-9:_]{0,39}$/;

/** The roles of the grammar; each other one is reported, then dropped. */
export function authgearRoles(roles: readonly string[], onRefused?: (role: string) => void): string[] {
  const kept = roles.filter((role) => AUTHGEAR_ROLE.test(role));
  if (kept.length !== roles.length && onRefused) for (const role of roles) if (!AUTHGEAR_ROLE.test(role)) onRefused(role);
  return kept;
}

// Headers every identity has one of two ways, one frozen pair each: an identity kept in the
// token cache holds pointers to them rather than its own copies (#25).
const SESSION_VALID = Object.freeze([HEADER.sessionValid, 'true'] as const);
const flagHeader = (name: string) => {
  const [yes, no] = [Object.freeze([name, 'true'] as const), Object.freeze([name, 'false'] as const)];
  return (value: boolean) => (value ? yes : no);
};
const ANONYMOUS = flagHeader(HEADER.anonymous);
const VERIFIED = flagHeader(HEADER.verified);
const CAN_REAUTHENTICATE = flagHeader(HEADER.canReauthenticate);

/**
 * The headers of a 200 answer, ready to send; roles and authenticated-at are absent when
 * empty, as Authgear does. A JWT access token adds its client and scopes (absent when the
 * token has none). A machine client gets no user or login headers at all, not even a
 * mapped claim under x-authgear-user-: no app can mistake it for a user.
 */
export function identityHeaders(identity: Identity, grant?: AccessGrant): Array<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = [SESSION_VALID];
  if (identity.kind === 'user') {
    headers.push(
      identityValue(HEADER.userId, identity.userId),
      ANONYMOUS(identity.anonymous),
      VERIFIED(identity.verified),
      CAN_REAUTHENTICATE(identity.canReauthenticate),
      identityValue(HEADER.amr, identity.amr.join(' ')),
    );
    if (identity.roles.length > 0) headers.push(identityValue(HEADER.roles, identity.roles.join(',')));
    if (identity.authenticatedAt !== undefined) headers.push([HEADER.authenticatedAt, String(identity.authenticatedAt)]);
  }
  if (grant?.clientId !== undefined) headers.push(identityValue(HEADER.clientId, grant.clientId));
  if (grant && grant.scopes.length > 0) headers.push(identityValue(HEADER.scope, grant.scopes.join(' ')));
  const extra = identity.kind === 'user' ? identity.extraHeaders : identity.extraHeaders.filter(([name]) => !name.startsWith(USER_HEADER_PREFIX));
  return headers.concat(extra);
}
