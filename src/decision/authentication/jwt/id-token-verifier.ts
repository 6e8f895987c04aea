import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { SigningAlgorithm } from './algorithms.js';
import { looksLikeJwt } from '../../credentials/credentials.js';
import { Denial } from '../../outcome.js';
import { assertRealDates, identityFromClaims } from '../../identity/token-claims.js';
import { denialFromJose } from './jose-denial.js';

/** What an Authgear ID token proves about the login it was issued for. */
export interface VerifiedIdToken {
  subject: string;
  /** auth_time (Unix seconds): when the user last actually authenticated. */
  authenticatedAt: number;
  canReauthenticate: boolean;
}

export interface IdTokenVerifierOptions {
  getKey: JWTVerifyGetKey;
  issuer: string;
  /** OIDC client ids: an ID token's aud is the client it was issued to. */
  clientIds: string[];
  algorithms: SigningAlgorithm[];
  clockSkewSeconds: number;
  maxTokenBytes: number;
  now: () => number;
}

export interface IdTokenVerifier {
  /** Resolves for a valid ID token of one of our clients, rejects with a Denial otherwise. */
  verify(token: string): Promise<VerifiedIdToken>;
}

export function createIdTokenVerifier(options: IdTokenVerifierOptions): IdTokenVerifier {
  return {
    async verify(token) {
      if (token.length > options.maxTokenBytes) throw new Denial('token_too_large', 'ID token is too large');
      if (!looksLikeJwt(token)) throw new Denial('token_malformed', 'ID token is not a JWT');
      const now = options.now();
      let payload;
      try {
        ({ payload } = await jwtVerify(token, options.getKey, {
          algorithms: options.algorithms,
          issuer: options.issuer,
          audience: options.clientIds,
          clockTolerance: options.clockSkewSeconds,
          // Authgear's signer always sets typ JWT, so a missing typ is not Authgear's ID token,
          // and an access token (at+jwt) or any other typed JWT of the issuer is not one either.
          // jose compares as RFC 7515 4.1.9 says: a media type, case-insensitive, with
          // "application/" implied, so "jwt" and "application/jwt" are the same type and pass.
          typ: 'JWT',
          requiredClaims: ['exp', 'iat', 'sub', 'auth_time'],
          currentDate: new Date(now),
        }));
      } catch (error) {
        throw denialFromJose(error);
      }
      assertRealDates(payload, 'ID token');
      // jose checks that iat is a number but compares it with now only under maxTokenAge. Issued
      // in the future beyond the skew is a clock fault or a token nobody should trust (its exp
      // stretches its life by as much), so it is refused like an nbf in the future.
      if (payload.iat! > Math.floor(now / 1000) + options.clockSkewSeconds) {
        throw new Denial('token_not_yet_valid', 'ID token iat claim is in the future');
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new Denial('claims_invalid', 'ID token sub claim is not a string');
      const identity = identityFromClaims(payload, []);
      if (identity.authenticatedAt === undefined) throw new Denial('claims_invalid', 'ID token auth_time claim is not a time');
      return { subject: payload.sub, authenticatedAt: identity.authenticatedAt, canReauthenticate: identity.canReauthenticate };
    },
  };
}
