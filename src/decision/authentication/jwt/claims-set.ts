import { Denial } from '../../outcome.js';
import type { DenialCode } from '../../../errors.js';

/** What a token's claims must be, besides signed. */
export interface ClaimsCheck {
  /** How refusals name the token (`token`, `ID token`). */
  name: string;
  /** The header's typ, compared as a media type (RFC 7515 4.1.9). */
  typ: string;
  issuer: string;
  /** Accepted aud values (one is enough); undefined when a route judges aud instead. */
  audience: readonly string[] | undefined;
  requiredClaims: readonly string[];
  clockSkewSeconds: number;
  /** ms since the epoch. */
  now: number;
}

/** jose's mapping of a failed claim to a reason: what every refusal of a token's claims is called. */
const CLAIM_REASONS: Partial<Record<string, DenialCode>> = { nbf: 'token_not_yet_valid', iss: 'wrong_issuer', aud: 'wrong_audience', typ: 'token_type_invalid' };
const refused = (claim: string, what: string, name: string) => new Denial(CLAIM_REASONS[claim] ?? 'claims_invalid', `${name} ${claim} claim ${what}`);

// "JWT" and "application/jwt" are one media type; a typ with a slash is compared whole.
const mediaType = (typ: string) => (typ.includes('/') ? typ.toLowerCase() : `application/${typ.toLowerCase()}`);

/** A NumericDate claim, when present, must be a number (its range is checked apart). */
function numericDate(claims: Record<string, unknown>, claim: string, name: string): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw refused(claim, 'is not a number', name);
  return value;
}

/**
 * RFC 7519 4.1 and RFC 8725 3.11, in jose's order and with its reasons: the type, the
 * claims that must be present (iss and aud before the others), iss and aud, then nbf and exp
 * within the skew. A token expired `skew` seconds ago or more is refused; nbf may lie up to
 * `skew` ahead.
 */
export function checkClaimsSet(header: Record<string, unknown>, claims: Record<string, unknown>, check: ClaimsCheck): void {
  const { name } = check;
  if (typeof header['typ'] !== 'string' || mediaType(header['typ']) !== mediaType(check.typ)) {
    throw new Denial('token_type_invalid', `${name} is not of type ${check.typ}`);
  }
  const present = ['iss', ...(check.audience ? ['aud'] : []), ...[...check.requiredClaims].reverse()];
  for (const claim of present) if (!Object.hasOwn(claims, claim)) throw refused(claim, 'is missing', name);
  if (claims['iss'] !== check.issuer) throw refused('iss', 'is not the issuer', name);
  if (check.audience && !audienceMatches(claims['aud'], check.audience)) throw refused('aud', 'is not an accepted audience', name);
  const nowSeconds = Math.floor(check.now / 1000);
  numericDate(claims, 'iat', name);
  const nbf = numericDate(claims, 'nbf', name);
  if (nbf !== undefined && nbf > nowSeconds + check.clockSkewSeconds) throw refused('nbf', 'is in the future', name);
  const exp = numericDate(claims, 'exp', name);
  if (exp !== undefined && exp <= nowSeconds - check.clockSkewSeconds) throw new Denial('token_expired', `${name} has expired`);
}

function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  return Array.isArray(aud) && accepted.some((value) => aud.includes(value));
}
