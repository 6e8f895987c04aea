import { looksLikeJwt, type Credentials } from './credentials.js';
import { Denial } from './errors.js';
import type { Identity } from './identity.js';
import type { AccessTokenVerifier } from './jwt/access-token-verifier.js';
import type { OriginalRequest } from './original-request.js';

export type AuthMode = 'jwt' | 'resolver' | 'auto';

export interface Authentication {
  identity: Identity;
  /** The 200 answer's identity headers. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** How the answer was reached, for metrics and logs. */
  via: 'jwt';
}

export interface AuthenticateOptions {
  /** The route's mode (policy rule or auth URL query); undefined: the authenticator's default. */
  mode?: AuthMode;
}

export interface Authenticator {
  /** Resolves with who the caller is, or rejects with a Denial. */
  authenticate(request: OriginalRequest, credentials: Credentials, options?: AuthenticateOptions): Promise<Authentication>;
}

/** Verifies JWT access tokens only, so every mode comes down to the same check here. */
export function createAuthenticator(deps: { accessTokens: AccessTokenVerifier }): Authenticator {
  return {
    async authenticate(_request, credentials) {
      if (credentials.bearer === undefined) throw new Denial('credentials_missing', 'no bearer token');
      if (!looksLikeJwt(credentials.bearer)) throw new Denial('token_malformed', 'bearer token is not a JWT');
      const verified = await deps.accessTokens.verify(credentials.bearer);
      return { identity: verified.identity, headers: verified.headers, via: 'jwt' };
    },
  };
}
