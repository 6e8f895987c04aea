import type { JWTPayload } from 'jose';

/**
 * Who the request is from, in the shape of Authgear's resolver answer, so the app behind the
 * gateway sees one contract whether a JWT was verified here or a session was resolved.
 */
export interface Identity {
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
} as const;

/** Every header the gateway must take from us and never from the client. */
export const IDENTITY_HEADER_NAMES: readonly string[] = Object.values(HEADER);

const CLAIM = {
  anonymous: 'https://authgear.com/claims/user/is_anonymous',
  verified: 'https://authgear.com/claims/user/is_verified',
  canReauthenticate: 'https://authgear.com/claims/user/can_reauthenticate',
  roles: 'https://authgear.com/claims/user/roles',
} as const;

const MAX_HEADER_VALUE = 2048;
// encodeURIComponent throws on a lone surrogate, which a signed claim may well contain.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Makes any claim value safe to put in a header: visible ASCII stays, everything else
 * (CR, LF, NUL, non-ASCII) is percent-encoded, so nothing can split or smuggle a header.
 */
export function headerSafe(value: unknown): string {
  const text =
    typeof value === 'string' ? value
    : Array.isArray(value) ? value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(',')
    : JSON.stringify(value) ?? '';
  const safe = text.replace(LONE_SURROGATE, '\ufffd').replace(/[^\x20-\x7e]|%/gu, (char) => encodeURIComponent(char));
  return safe.length > MAX_HEADER_VALUE ? safe.slice(0, MAX_HEADER_VALUE) : safe;
}

const stringArray = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

export function identityFromClaims(
  claims: JWTPayload,
  claimHeaders: ReadonlyArray<{ claim: string; header: string }>,
): Identity {
  const authTime = claims['auth_time'];
  const extraHeaders: Array<[string, string]> = [];
  for (const { claim, header } of claimHeaders) {
    if (claims[claim] !== undefined && claims[claim] !== null) extraHeaders.push([header, headerSafe(claims[claim])]);
  }
  return {
    userId: String(claims.sub),
    anonymous: claims[CLAIM.anonymous] === true,
    verified: claims[CLAIM.verified] === true,
    canReauthenticate: claims[CLAIM.canReauthenticate] === true,
    roles: stringArray(claims[CLAIM.roles]),
    amr: stringArray(claims['amr']),
    authenticatedAt: typeof authTime === 'number' && authTime > 0 ? Math.floor(authTime) : undefined,
    extraHeaders,
  };
}

/** The headers of a 200 answer, ready to send; roles and authenticated-at are absent when empty, as Authgear does. */
export function identityHeaders(identity: Identity): Array<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = [
    [HEADER.sessionValid, 'true'],
    [HEADER.userId, headerSafe(identity.userId)],
    [HEADER.anonymous, String(identity.anonymous)],
    [HEADER.verified, String(identity.verified)],
    [HEADER.canReauthenticate, String(identity.canReauthenticate)],
    [HEADER.amr, headerSafe(identity.amr.join(' '))],
  ];
  if (identity.roles.length > 0) headers.push([HEADER.roles, headerSafe(identity.roles.join(','))]);
  if (identity.authenticatedAt !== undefined) headers.push([HEADER.authenticatedAt, String(identity.authenticatedAt)]);
  return headers.concat(identity.extraHeaders);
}

const BOOLEAN = { true: true, false: false } as const;
const UNIX_SECONDS = /^[1-9][0-9]{0,11}$/;

/**
 * Reads the identity Authgear's resolver sent in its headers (the answer of a valid session).
 * Anything off-contract throws: the caller treats it as a resolver failure, never as a user.
 */
export function identityFromResolverHeaders(header: (name: string) => string | undefined): Identity {
  const userId = header(HEADER.userId);
  if (!userId) throw new Error(`resolver answer has no ${HEADER.userId}`);
  const flag = (name: string): boolean => {
    const value = BOOLEAN[(header(name) ?? '') as keyof typeof BOOLEAN];
    if (value === undefined) throw new Error(`resolver answer has no true/false ${name}`);
    return value;
  };
  const authenticatedAt = header(HEADER.authenticatedAt);
  if (authenticatedAt !== undefined && !UNIX_SECONDS.test(authenticatedAt)) throw new Error(`resolver answer has a malformed ${HEADER.authenticatedAt}`);
  const split = (value: string | undefined, separator: string) => (value ?? '').split(separator).map((part) => part.trim()).filter(Boolean);
  return {
    userId,
    anonymous: flag(HEADER.anonymous),
    verified: flag(HEADER.verified),
    canReauthenticate: flag(HEADER.canReauthenticate),
    roles: split(header(HEADER.roles), ','),
    amr: split(header(HEADER.amr), ' '),
    authenticatedAt: authenticatedAt === undefined ? undefined : Number(authenticatedAt),
    extraHeaders: [],
  };
}
