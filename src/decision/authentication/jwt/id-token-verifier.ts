import { looksLikeJwt } from '../../credentials/credentials.js';
import { Denial } from '../../outcome.js';
import { identityFromClaims } from '../../identity/token-claims.js';
import type { JwtKind, JwtVerifier } from './verify-jwt.js';

/** What an Authgear ID token proves about the login it was issued for. */
export interface VerifiedIdToken {
  subject: string;
  /** auth_time (Unix seconds): when the user last actually authenticated. */
  authenticatedAt: number;
  canReauthenticate: boolean;
}

export interface IdTokenVerifierOptions {
  verifyJwt: JwtVerifier;
  /** OIDC client ids: an ID token's aud is the client it was issued to. */
  clientIds: string[];
  maxTokenBytes: number;
}

export interface IdTokenVerifier {
  /** Resolves for a valid ID token of one of our clients, rejects with a Denial otherwise. */
  verify(token: string): Promise<VerifiedIdToken>;
}

export function createIdTokenVerifier(options: IdTokenVerifierOptions): IdTokenVerifier {
  // Authgear's signer always sets typ JWT, so a missing typ is not Authgear's ID token, and an
  // access token (at+jwt) or any other typed JWT of the issuer is not one either. jose compares
  // as RFC 7515 4.1.9 says: a media type, case-insensitive, with "application/" implied, so
  // "jwt" and "application/jwt" are the same type and pass.
  const ID_TOKEN: JwtKind = { name: 'ID token', typ: 'JWT', audience: options.clientIds, requiredClaims: ['exp', 'iat', 'sub', 'auth_time'] };
  return {
    async verify(token) {
      if (token.length > options.maxTokenBytes) throw new Denial('token_too_large', 'ID token is too large');
      if (!looksLikeJwt(token)) throw new Denial('token_malformed', 'ID token is not a JWT');
      const payload = await options.verifyJwt(token, ID_TOKEN);
      const identity = identityFromClaims(payload, []);
      if (identity.authenticatedAt === undefined) throw new Denial('claims_invalid', 'ID token auth_time claim is not a time');
      return { subject: payload.sub, authenticatedAt: identity.authenticatedAt, canReauthenticate: identity.canReauthenticate };
    },
  };
}
