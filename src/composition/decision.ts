import type { Sharing } from './sharing.js';
import type { Config } from '../config/load-config.js';
import { createLoginRedirect, type LoginRedirect } from '../decision/refusal/login/login-redirect.js';
import { createReturnUrlPolicy } from '../decision/refusal/login/return-url.js';
import { createAuthenticator, type Authenticator } from '../decision/authentication/authenticator.js';
import { createAccessTokenVerifier } from '../decision/authentication/jwt/access-token-verifier.js';
import { createIdTokenVerifier } from '../decision/authentication/jwt/id-token-verifier.js';
import { createJwtVerifier } from '../decision/authentication/jwt/verify-jwt.js';
import { createSessions } from '../resolver/sessions.js';
import { AUTHGEAR_COOKIES } from '../decision/credentials/credentials.js';
import { createAuthDecision } from '../decision/decide.js';
import type { AuthDecision } from '../decision/question.js';
import { createAuthorizer } from '../decision/policy/authorize.js';
import type { Observers } from '../observability/observers.js';
import type { Tracing } from '../observability/tracing/tracing.js';
import type { AuthgearKeys } from './keys.js';
import type { LivePolicy } from './policy.js';

/** Browser login, when a redirect URI is configured; the authorize endpoint comes from discovery. */
function loginRedirect(config: Config, keys: AuthgearKeys): LoginRedirect | undefined {
  if (!config.loginRedirectUri) return undefined;
  const fallback = config.derived.authorizeEndpointFallback;
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
  /** Entries of the in-process token cache. */
  tokenCacheSize(): number;
  close(): void;
}

export interface DecisionDependencies {
  now: () => number;
  observers: Observers;
  sharing: Sharing;
  keys: AuthgearKeys;
  policy: LivePolicy;
  /** What adds to the decision's allows (signed assertions); none by default. */
  assert?: (decide: AuthDecision) => AuthDecision;
  /** Spans for decisions and their calls out, when tracing is configured. */
  tracing: Tracing | undefined;
}

/** The one decision every gateway asks, and the verifiers and resolver it authenticates with. */
export function composeDecision(config: Config, deps: DecisionDependencies): ComposedDecision {
  const { now, observers, keys, tracing } = deps;
  const verifyJwt = createJwtVerifier({
    keysFor: keys.keyStore.keysFor,
    issuer: config.authgearEndpoint,
    algorithms: config.allowedAlgorithms,
    clockSkewSeconds: config.clockSkewSeconds,
    now,
  });
  const accessTokens = createAccessTokenVerifier({
    verifyJwt,
    claimHeaders: config.claimHeaders,
    cacheMaxEntries: config.tokenCacheMaxEntries,
    now,
    onCacheLookup: observers.tokenCacheLookup,
    claimReport: observers.claims,
  });
  const idTokens =
    config.clientIds.length === 0
      ? undefined
      : createIdTokenVerifier({ verifyJwt, clientIds: config.clientIds, maxTokenBytes: config.maxTokenBytes });
  const sessions = createSessions(
    {
      upstream: {
        baseUrl: config.derived.resolverBaseUrl,
        publicOrigin: config.authgearEndpoint,
        timeoutMs: config.resolverTimeoutMs,
        maxInFlight: config.upstreamMaxInFlight,
        maxQueued: config.upstreamMaxQueued,
        ...(tracing ? { tracing: tracing.upstream } : {}),
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
  const decided = createAuthDecision({
    authenticator,
    credentials: { maxTokenBytes: config.maxTokenBytes, cookiePrefix: config.cookiePrefix },
    realm: config.realm,
    policy: deps.policy.current,
    authorize: createAuthorizer({ clockSkewSeconds: config.clockSkewSeconds, acceptedAudiences: config.acceptedAudiences, idTokens }),
    idTokenHeader: config.idTokenHeader,
    login: loginRedirect(config, keys),
    now,
    onDecision: observers.decision,
    ...(tracing ? { tracing: tracing.decision } : {}),
  });
  // An assertion is part of the answer: signing one counts as in flight too.
  const decide = observers.countInFlight(deps.assert ? deps.assert(decided) : decided);
  return { decide, authenticator, tokenCacheSize: accessTokens.cacheSize, close: () => sessions.close() };
}
