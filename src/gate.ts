import { getRequestListener } from '@hono/node-server';
import type { CacheObserver } from './cache/cache.js';
import { createSharing } from './cache/sharing.js';
import type { Config } from './config/load-config.js';
import { createLoginRedirect, type LoginRedirect } from './decision/answer/login/login-redirect.js';
import { createReturnUrlPolicy } from './decision/answer/login/return-url.js';
import { createAuthenticator, type Authenticator } from './decision/authentication/authenticator.js';
import { createAccessTokenVerifier } from './decision/authentication/jwt/access-token-verifier.js';
import { createIdTokenVerifier } from './decision/authentication/jwt/id-token-verifier.js';
import { createSessions } from './decision/authentication/resolver/sessions.js';
import { createAuthDecision, type DecisionEvent } from './decision/decide.js';
import { IDENTITY_HEADER_NAMES } from './decision/identity/identity.js';
import { createAuthorizer } from './decision/policy/authorize.js';
import { createRequirementLookup } from './decision/policy/route-requirements.js';
import { createExtAuthzListener } from './gateways/ext-authz-http.js';
import { createCheckService, type CheckService } from './gateways/ext-authz-grpc/check-service.js';
import { createGateListener, type RequestListener } from './gateways/listener.js';
import type { Logger } from './observability/logging.js';
import { createMetrics, type Metrics } from './observability/metrics/metrics.js';
import { createObservers } from './observability/observers.js';
import { fetchProviderMetadata, type ProviderMetadata } from './oidc/discovery.js';
import { fetchJwks } from './oidc/fetch-jwks.js';
import { createKeyStore, type KeyStore } from './oidc/key-store.js';
import { createMetricsApp, createMetricsRoute } from './ops/metrics-route.js';
import { createOpsApp } from './ops/ops-app.js';
import { createUpstreamClient } from './upstream/http-client.js';

export interface GateDependencies {
  logger: Logger;
  /** Wall clock in ms; tests pass a fake one. */
  now?: () => number;
  onDecision?: (event: DecisionEvent) => void;
  /** Cache lookups, serve-stale and Redis errors, for metrics. */
  cacheObserver?: CacheObserver;
  /** Default: a fresh registry without process metrics (the server passes one with them). */
  metrics?: Metrics;
}

export interface Gate {
  /** PORT's listener: /auth, health, readiness (and metrics unless METRICS_PORT is set). */
  listener: RequestListener;
  /** METRICS_PORT's listener, when that is set. */
  metricsListener: RequestListener | undefined;
  /** EXT_AUTHZ_PORT's listener (ext_authz over HTTP, every path a question), when that is set. */
  extAuthzListener: RequestListener | undefined;
  /** EXT_AUTHZ_GRPC_PORT's Check service (Envoy ext_authz over gRPC), when that is set. */
  extAuthzGrpc: CheckService | undefined;
  keyStore: KeyStore;
  authenticator: Authenticator;
  metrics: Metrics;
  /** Loads discovery and keys (retrying); /auth answers 503 until it is done. */
  start(signal?: AbortSignal): Promise<void>;
  /** Shutdown has begun: /readyz answers 503 from now on, /auth keeps answering. */
  drain(): void;
  close(): Promise<void>;
}

/** Browser login, when a redirect URI is configured; the authorize endpoint comes from discovery. */
function loginRedirect(config: Config, metadata: () => ProviderMetadata | undefined): LoginRedirect | undefined {
  if (!config.loginRedirectUri) return undefined;
  const fallback = `${config.authgearEndpoint}/oauth2/authorize`;
  return createLoginRedirect({
    clientId: config.clientIds[0]!,
    redirectUri: config.loginRedirectUri,
    // Only ever a page of the configured Authgear origin, whatever discovery says.
    authorizeEndpoint: () => {
      const discovered = metadata()?.authorizationEndpoint;
      return discovered && new URL(discovered).origin === config.authgearEndpoint ? discovered : fallback;
    },
    returnUrls: createReturnUrlPolicy(config.returnToHosts),
  });
}

/**
 * Builds the whole service from a validated config: the one place that reads it, handing
 * each component only the options it needs. No listening, no signals, no env.
 */
export function createGate(config: Config, deps: GateDependencies): Gate {
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createMetrics();
  const observers = createObservers(metrics, deps.logger, { onDecision: deps.onDecision, cacheObserver: deps.cacheObserver });
  const authgear = createUpstreamClient({
    baseUrl: config.authgearInternalUrl ?? config.authgearEndpoint,
    publicOrigin: config.authgearEndpoint,
    timeoutMs: config.upstreamTimeoutMs,
    maxInFlight: config.upstreamMaxInFlight,
    maxQueued: config.upstreamMaxQueued,
    observer: observers.upstream('keys'),
  });

  const sharing = createSharing(config, { logger: deps.logger, now, observer: observers.cache });

  let metadata: ProviderMetadata | undefined;
  const fetchKeySet = async () => {
    metadata ??= await fetchProviderMetadata(authgear, config.authgearEndpoint);
    return fetchJwks(authgear, metadata.jwksPath);
  };
  const keyStore = createKeyStore({
    now,
    refreshAfterMs: config.jwksRefreshSeconds * 1000,
    missCooldownMs: config.jwksMissCooldownSeconds * 1000,
    loadKeySet: sharing.keySetLoader(fetchKeySet),
    ...observers.keyStore,
  });

  const accessTokens = createAccessTokenVerifier({
    getKey: keyStore.getKey,
    issuer: config.authgearEndpoint,
    algorithms: config.allowedAlgorithms,
    clockSkewSeconds: config.clockSkewSeconds,
    claimHeaders: config.claimHeaders,
    cacheMaxEntries: config.tokenCacheMaxEntries,
    now,
    onCacheLookup: observers.tokenCacheLookup,
  });

  const idTokens =
    config.clientIds.length > 0
      ? createIdTokenVerifier({
          getKey: keyStore.getKey,
          issuer: config.authgearEndpoint,
          clientIds: config.clientIds,
          algorithms: config.allowedAlgorithms,
          clockSkewSeconds: config.clockSkewSeconds,
          maxTokenBytes: config.maxTokenBytes,
          now,
        })
      : undefined;

  const sessions = createSessions(config, { shared: sharing.cache, now, observer: sharing.observer, upstreamObserver: observers.upstream('resolver') });

  const authenticator = createAuthenticator({ accessTokens, sessions, mode: config.authMode });
  const decide = observers.countInFlight(
    createAuthDecision({
      authenticator,
      credentials: { maxTokenBytes: config.maxTokenBytes, cookiePrefix: config.cookiePrefix },
      realm: config.realm,
      requirementsFor: createRequirementLookup({ policy: config.policy, idTokensEnabled: idTokens !== undefined, defaultMode: config.authMode }),
      authorize: createAuthorizer({ clockSkewSeconds: config.clockSkewSeconds, acceptedAudiences: config.acceptedAudiences, idTokens }),
      idTokenHeader: config.idTokenHeader,
      login: loginRedirect(config, () => metadata),
      now,
      onDecision: observers.decision,
    }),
  );

  let draining = false;
  const ops = createOpsApp({
    // A cache outage slows us down but answers keep coming: report it, stay ready.
    async readiness() {
      const checks: Record<string, string> = { keys: keyStore.isReady() ? 'ok' : 'not loaded', ...(await sharing.checks()) };
      if (draining) checks.shutdown = 'draining';
      return { ready: keyStore.isReady() && !draining, checks };
    },
    ...(config.metricsPort === undefined ? { metricsRoute: createMetricsRoute(metrics) } : {}),
  });

  return {
    listener: createGateListener({ decide, gateway: config.gateway, ops: getRequestListener(ops.fetch), onWriteError: observers.writeError }),
    metricsListener: config.metricsPort === undefined ? undefined : getRequestListener(createMetricsApp(metrics).fetch),
    extAuthzListener:
      config.extAuthzPort === undefined
        ? undefined
        : createExtAuthzListener({
            decide,
            pathPrefix: config.extAuthzPathPrefix,
            identityHeaderNames: [...IDENTITY_HEADER_NAMES, ...config.claimHeaders.map(({ header }) => header)],
            onWriteError: observers.writeError,
          }),
    extAuthzGrpc:
      config.extAuthzGrpcPort === undefined
        ? undefined
        : createCheckService({
            decide,
            trustedHeaders: [...IDENTITY_HEADER_NAMES, ...config.claimHeaders.map(({ header }) => header)],
            trustedPrefix: 'x-authgear-',
            clientHeaders: [config.idTokenHeader],
            onWriteError: observers.writeError,
            onDeadline: () => deps.logger.warn('ext_authz gRPC: no decision before the caller\'s deadline; answered 503'),
          }),
    keyStore,
    authenticator,
    metrics,
    async start(signal) {
      await sharing.connect();
      await keyStore.start(signal);
    },
    drain() {
      draining = true;
    },
    async close() {
      authgear.close();
      sessions.close();
      await sharing.close();
    },
  };
}
