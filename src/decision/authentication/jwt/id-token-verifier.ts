import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { SigningAlgorithm } from './algorithms.js';
import { looksLikeJwt } from '../../credentials/credentials.js';
import { Denial } from '../../outcome.js';
import { identityFromClaims } from '../../identity/identity.js';
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
      let verified;
      try {
        verified = await jwtVerify(token, options.getKey, {
          algorithms: options.algorithms,
          issuer: options.issuer,
          audience: options.clientIds,
          clockTolerance: options.clockSkewSeconds,
          requiredClaims: ['exp', 'iat', 'sub', 'auth_time'],
          currentDate: new Date(options.now()),
        });
      } catch (error) {
        throw denialFromJose(error);
      }
      const { payload, protectedHeader } = verified;
      // An access token (typ at+jwt) or any other typed JWT of the issuer is not an ID token.
      if (protectedHeader.typ !== undefined && protectedHeader.typ.toUpperCase() !== 'JWT') {
        throw new Denial('token_type_invalid', 'token is not an ID token');
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new Denial('claims_invalid', 'ID token sub claim is not a string');
      const identity = identityFromClaims(payload, []);
      if (identity.authenticatedAt === undefined) throw new Denial('claims_invalid', 'ID token auth_time claim is not a time');
      return { subject: payload.sub, authenticatedAt: identity.authenticatedAt, canReauthenticate: identity.canReauthenticate };
    },
  };
}
