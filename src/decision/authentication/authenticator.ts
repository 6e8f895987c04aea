import { assertBearerSyntax, type Credentials } from '../credentials/credentials.js';
import { Denial } from '../outcome.js';
import type { AccessGrant } from '../identity/access-grant.js';
import { identityHeaders, type Identity } from '../identity/identity.js';
import type { ClaimSelection, SelectedClaims } from '../identity/selected-claims.js';
import type { AccessTokenVerifier, VerifiedAccess } from './jwt/access-token-verifier.js';
import type { AuthMode } from './auth-mode.js';
import type { Resolution, SessionResolver } from './session-resolver.js';

export interface Authentication {
  identity: Identity;
  /** What a JWT access token grants (aud, scope, client); undefined for a resolver answer, which reports none. */
  grant: AccessGrant | undefined;
  /** The verified claims the policy names; undefined for a resolver answer, which has headers, not claims. */
  claims: SelectedClaims | undefined;
  /** The 200 answer's identity headers. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** How the answer was reached, for metrics and logs. */
  via: 'jwt' | 'resolver' | 'resolver_stale';
  /** Which cache held it: the process's, Redis, or none (verified or resolved for this request). */
  cache: CacheTier;
}

export type CacheTier = 'memory' | 'redis' | 'none';

export interface AuthenticateOptions {
  /** The route's mode (policy rule or auth URL query); undefined: the configured AUTH_MODE. */
  mode?: AuthMode;
  /** The claims the request's policy version names in its conditions; none when undefined. */
  claims?: ClaimSelection;
}

export interface Authenticator {
  /**
   * Who the caller is, or why not: a Denial returned (no credentials at all, the commonest
   * refusal, costs no throw), thrown or rejected. The answer comes synchronously when it is
   * already known, e.g. a token verified before: the hot path then awaits nothing.
   */
  authenticate(credentials: Credentials, options?: AuthenticateOptions): Authentication | Denial | Promise<Authentication>;
}

const fromAccessToken = (verified: VerifiedAccess): Authentication => ({ identity: verified.identity, grant: verified.grant, claims: verified.claims, headers: verified.headers, via: 'jwt', cache: verified.cached ? 'memory' : 'none' });

export interface AuthenticatorDependencies {
  accessTokens: AccessTokenVerifier;
  sessions: SessionResolver;
  mode: AuthMode;
}

export function createAuthenticator(deps: AuthenticatorDependencies): Authenticator {
  // Refusals that depend on nothing the request holds: built once, never thrown.
  const NO_BEARER = new Denial('credentials_missing', 'no bearer token');
  const NO_CREDENTIALS = new Denial('credentials_missing', 'no bearer token or Authgear session cookie');

  // A resolver answer is kept (in process) for its TTL and answers many requests: build its
  // headers once. Weak, so the headers go when the cache drops the answer.
  const answerHeaders = new WeakMap<object, Authentication['headers']>();
  const headersOf = (identity: Identity) => {
    let headers = answerHeaders.get(identity);
    if (!headers) answerHeaders.set(identity, (headers = identityHeaders(identity)));
    return headers;
  };

  function fromResolution({ answer, stale, cache }: Resolution): Authentication {
    if (!answer.valid) {
      throw new Denial('session_invalid', 'Authgear did not accept the session or token', {
        headers: answer.setCookies.map((line) => ['set-cookie', line] as const),
      });
    }
    return { identity: answer.identity, grant: undefined, claims: undefined, headers: headersOf(answer.identity), via: stale ? 'resolver_stale' : 'resolver', cache };
  }

  return {
    authenticate(credentials, options = {}) {
      const mode = options.mode ?? deps.mode;
      const { bearer } = credentials;
      if (bearer !== undefined) {
        if (mode !== 'resolver') {
          const verified = deps.accessTokens.verify(bearer, options.claims);
          if (verified instanceof Promise) return verified.then(fromAccessToken);
          if (verified) return fromAccessToken(verified);
        }
        assertBearerSyntax(bearer);
      }
      if (mode === 'jwt') {
        if (bearer === undefined) return NO_BEARER;
        throw new Denial('token_malformed', 'bearer token is not a JWT');
      }
      if (bearer === undefined && credentials.cookies.length === 0) return NO_CREDENTIALS;
      const resolution = deps.sessions.resolve(credentials);
      return resolution instanceof Promise ? resolution.then(fromResolution) : fromResolution(resolution);
    },
  };
}
