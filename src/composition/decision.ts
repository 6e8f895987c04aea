import type { Sharing } from '../cache/sharing.js';
import type { Config } from '../config/load-config.js';
import { createLoginRedirect, type LoginRedirect } from '../decision/answer/login/login-redirect.js';
import { createReturnUrlPolicy } from '../decision/answer/login/return-url.js';
import { createAuthenticator, type Authenticator } from '../decision/authentication/authenticator.js';
import { createAccessTokenVerifier } from '../decision/authentication/jwt/access-token-verifier.js';
import { createIdTokenVerifier } from '../decision/authentication/jwt/id-token-verifier.js';
import { createSessions } from '../decision/authentication/resolver/sessions.js';
import { AUTHGEAR_COOKIES } from '../decision/credentials/credentials.js';
import { createAuthDecision, type AuthDecision } from '../decision/decide.js';
import { createAuthorizer } from '../decision/policy/authorize.js';
import { createRequirementLookup } from '../decision/policy/route-requirements.js';
import type { Observers } from '../observability/observers.js';
import type { AuthgearKeys } from './keys.js';

/** Browser login, when a redirect URI is configured; the authorize endpoint comes from discovery. */
function loginRedirect(config: Config, keys: AuthgearKeys): LoginRedirect | undefined {
  if (!config.loginRedirectUri) return undefined;
  const fallback = `${config.authgearEndpoint}/oauth2/authorize`;
  return createLoginRedirect({
    clientId: config.clientIds[0]!,
    redirectUri: config.loginRedirectUri,
    // Only ever a page of the configured Authgear origin, whatever discovery says.
    authorizeEndpoint: () => {
      const discovered = keys.metadata()?.authorizationEndpoint;
      return discovered && new URL(discovered).origin === config.authgearEndpoint ? discovered : fallback;
    },
    returnUrls: createReturnUrlPolicy(config.returnToHosts),
  });
}

export interface ComposedDecision {
  decide: AuthDecision;
  authenticator: Authenticator;
  close(): void;
}

/** The one decision every gateway asks, and the verifiers and resolver it authenticates with. */
export function composeDecision(config: Config, deps: { now: () => number; observers: Observers; sharing: Sharing; keys: AuthgearKeys }): ComposedDecision {
  const { now, observers, keys } = deps;
  const accessTokens = createAccessTokenVerifier({
    getKey: keys.keyStore.getKey,
    issuer: config.authgearEndpoint,
    algorithms: config.allowedAlgorithms,
    clockSkewSeconds: config.clockSkewSeconds,
    claimHeaders: config.claimHeaders,
    cacheMaxEntries: config.tokenCacheMaxEntries,
    now,
    onCacheLookup: observers.tokenCacheLookup,
    claimReport: observers.claims,
  });
  const idTokens =
    config.clientIds.length === 0
      ? undefined
      : createIdTokenVerifier({
          getKey: keys.keyStore.getKey,
          issuer: config.authgearEndpoint,
          clientIds: config.clientIds,
          algorithms: config.allowedAlgorithms,
          clockSkewSeconds: config.clockSkewSeconds,
          maxTokenBytes: config.maxTokenBytes,
          now,
        });
  const sessions = createSessions(
    {
      upstream: {
        baseUrl: config.resolverUrl ?? config.authgearInternalUrl ?? config.authgearEndpoint,
        publicOrigin: config.authgearEndpoint,
        timeoutMs: config.resolverTimeoutMs,
        maxInFlight: config.upstreamMaxInFlight,
        maxQueued: config.upstreamMaxQueued,
      },
      cookieNames: AUTHGEAR_COOKIES.map((name) => config.cookiePrefix + name),
      onRoleRefused: observers.claims.roleRefused,
      caching: {
        namespace: config.authgearEndpoint,
        positiveTtlMs: config.resolverPositiveTtlSeconds * 1000,
        negativeTtlMs: config.resolverNegativeTtlSeconds * 1000,
        localTtlMs: config.resolverLocalTtlSeconds * 1000,
        localMaxEntries: config.resolverCacheMaxEntries,
        serveStaleMs: config.resolverServeStaleSeconds * 1000,
      },
    },
    { shared: deps.sharing.cache, now, observer: deps.sharing.observer, upstreamObserver: observers.upstream('resolver') },
  );
  const authenticator = createAuthenticator({ accessTokens, sessions, mode: config.authMode });
  const decide = observers.countInFlight(
    createAuthDecision({
      authenticator,
      credentials: { maxTokenBytes: config.maxTokenBytes, cookiePrefix: config.cookiePrefix },
      realm: config.realm,
      requirementsFor: createRequirementLookup({ policy: config.policy, idTokensEnabled: idTokens !== undefined, defaultMode: config.authMode }),
      authorize: createAuthorizer({ clockSkewSeconds: config.clockSkewSeconds, acceptedAudiences: config.acceptedAudiences, idTokens }),
      idTokenHeader: config.idTokenHeader,
      login: loginRedirect(config, keys),
      now,
      onDecision: observers.decision,
    }),
  );
  return { decide, authenticator, close: () => sessions.close() };
}
