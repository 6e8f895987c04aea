import { Denial } from '../outcome.js';
import type { AccessGrant, TokenClaims } from './access-grant.js';
import { authgearRoles, headerSafe, MAX_HEADER_VALUE, type Identity, type PrincipalKind } from './identity.js';

/** Authgear's claims about a user; a machine client's token has none of them. */
export const USER_CLAIM_PREFIX = 'https://authgear.com/claims/user/';
const CLAIM = {
  anonymous: `${USER_CLAIM_PREFIX}is_anonymous`,
  verified: `${USER_CLAIM_PREFIX}is_verified`,
  canReauthenticate: `${USER_CLAIM_PREFIX}can_reauthenticate`,
  roles: `${USER_CLAIM_PREFIX}roles`,
} as const;

/** The sub of Authgear's M2M (client_credentials) tokens: this prefix and the client id. */
export const MACHINE_SUBJECT_PREFIX = 'client_id_';

const stringArray = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/**
 * Whether an access token speaks for a user or a machine client. Authgear's M2M tokens have
 * sub = `client_id_` + their client_id claim and none of a user's claims: no auth_time, no
 * amr, nothing under https://authgear.com/claims/user/. User ids are UUIDs, so a sub with
 * that prefix is never a user's: such a token counts as a machine only with exactly that
 * shape, and is refused otherwise. No mixture of the two can pass as a user (or a client).
 */
export function principalKindOf(claims: TokenClaims, grant: AccessGrant): PrincipalKind {
  const subject = String(claims.sub);
  if (!subject.startsWith(MACHINE_SUBJECT_PREFIX)) return 'user';
  if (grant.clientId === undefined || subject !== MACHINE_SUBJECT_PREFIX + grant.clientId) {
    throw new Denial('claims_invalid', 'token sub claim names a machine client, but not its client_id');
  }
  if (claims['auth_time'] !== undefined || claims['amr'] !== undefined || Object.keys(claims).some((name) => name.startsWith(USER_CLAIM_PREFIX))) {
    throw new Denial('claims_invalid', 'token mixes a machine client with user claims');
  }
  return 'client';
}

/** What reading claims set aside, for the operator: counted and logged, never an answer. */
export interface ClaimReport {
  /** A CLAIM_HEADERS header left out: its value would exceed MAX_HEADER_VALUE (never cut). */
  claimHeaderOmitted?(header: string): void;
  /** A role outside Authgear's grammar, ignored. */
  roleRefused?(role: string): void;
}

// NumericDate (RFC 7519 2): seconds since the epoch. JSON's 1e309 is Infinity to a parser,
// which no comparison ever finds expired; nothing Authgear issues lies past year 9999.
const LAST_DATE = 253_402_300_799;
const DATE_CLAIMS = ['exp', 'nbf', 'iat', 'auth_time'] as const;

/** Refuses a date claim that is present but no real date (not a finite number from 0 to year 9999). */
export function assertRealDates(claims: TokenClaims, what = 'token'): void {
  for (const claim of DATE_CLAIMS) {
    const value = claims[claim];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > LAST_DATE) {
      throw new Denial('claims_invalid', `${what} ${claim} claim is not a date`);
    }
  }
}

export function identityFromClaims(
  claims: TokenClaims,
  claimHeaders: ReadonlyArray<{ claim: string; header: string }>,
  kind: PrincipalKind = 'user',
  report: ClaimReport = {},
): Identity {
  const authTime = claims['auth_time'];
  const extraHeaders: Array<[string, string]> = [];
  for (const { claim, header } of claimHeaders) {
    if (claims[claim] === undefined || claims[claim] === null) continue;
    const value = headerSafe(claims[claim]);
    if (value.length <= MAX_HEADER_VALUE) extraHeaders.push([header, value]);
    else report.claimHeaderOmitted?.(header);
  }
  return {
    kind,
    userId: String(claims.sub),
    anonymous: claims[CLAIM.anonymous] === true,
    verified: claims[CLAIM.verified] === true,
    canReauthenticate: claims[CLAIM.canReauthenticate] === true,
    roles: authgearRoles(stringArray(claims[CLAIM.roles]), report.roleRefused?.bind(report)),
    amr: stringArray(claims['amr']),
    authenticatedAt: typeof authTime === 'number' && authTime > 0 ? Math.floor(authTime) : undefined,
    extraHeaders,
  };
}
