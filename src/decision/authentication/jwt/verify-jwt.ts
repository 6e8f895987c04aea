import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { Denial } from '../../outcome.js';
import { assertRealDates } from '../../identity/token-claims.js';
import type { SigningAlgorithm } from './algorithms.js';
import { denialFromJose } from './jose-denial.js';

export interface JwtVerifierOptions {
  /** Keys of the configured issuer only: never one a token names (jku, x5u, an embedded jwk). */
  getKey: JWTVerifyGetKey;
  issuer: string;
  algorithms: readonly SigningAlgorithm[];
  clockSkewSeconds: number;
  now: () => number;
}

/** What one kind of token must be, besides signed by the issuer and within its times. */
export interface JwtKind {
  /** `token` or `ID token`: how refusals name it. */
  name: string;
  /** RFC 8725 3.11: the type its issuer gives it (at+jwt, JWT), compared as a media type. */
  typ: string;
  /** Accepted aud values; undefined when a route judges aud instead. */
  audience?: readonly string[];
  requiredClaims: readonly string[];
}

/** The claims of a token whose signature, issuer, type, times and subject were checked; a Denial otherwise. */
export type JwtVerifier = (token: string, kind: JwtKind) => Promise<JWTPayload>;

/**
 * The one JWT check of access and ID tokens: jose's verification (alg allow-list bound to the
 * key, crit, exact base64url, typ, iss, exp, nbf with the skew) and what jose leaves out: dates
 * that are real dates, an iat not beyond the skew in the future (jose compares iat only under
 * maxTokenAge: a clock fault, or an exp stretched by as much), and a string sub.
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const algorithms = [...options.algorithms];
  return async function verifyJwt(token, kind) {
    const now = options.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, options.getKey, {
        algorithms,
        issuer: options.issuer,
        ...(kind.audience ? { audience: [...kind.audience] } : {}),
        clockTolerance: options.clockSkewSeconds,
        typ: kind.typ,
        requiredClaims: [...kind.requiredClaims],
        currentDate: new Date(now),
      }));
    } catch (error) {
      throw denialFromJose(error);
    }
    assertRealDates(payload, kind.name);
    if (typeof payload.iat === 'number' && payload.iat > Math.floor(now / 1000) + options.clockSkewSeconds) {
      throw new Denial('token_not_yet_valid', `${kind.name} iat claim is in the future`);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new Denial('claims_invalid', `${kind.name} sub claim is not a string`);
    return payload;
  };
}
