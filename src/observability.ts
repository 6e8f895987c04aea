import type { Handler } from 'hono';
import type { DecisionEvent } from './http/auth-route.js';
import { createDecisionLogger, createUpstreamFailureLogger, describeError, type Logger } from './logging.js';
import type { Metrics } from './metrics/metrics.js';
import type { KeyStoreOptions } from './oidc/key-store.js';
import type { UpstreamObserver } from './upstream/http-client.js';

/**
 * The hooks each component takes, each one feeding metrics and logs. Components only know
 * their own observer interface; this is the one place that knows what an event is worth.
 */
export interface Observers {
  upstream: UpstreamObserver;
  keyStore: Pick<KeyStoreOptions, 'onLoad' | 'onLoadError' | 'onStaleUse'>;
  tokenCacheLookup(outcome: 'hit' | 'miss'): void;
  decision(event: DecisionEvent): void;
  /** Wraps /auth so requests in flight are counted (what a draining pod still owes). */
  countInFlight(route: Handler): Handler;
}

export function createObservers(metrics: Metrics, logger: Logger, onDecision?: (event: DecisionEvent) => void): Observers {
  const logUpstreamFailure = createUpstreamFailureLogger(logger);
  const logDecision = createDecisionLogger(logger);
  return {
    upstream: {
      onCall(call) {
        metrics.upstreamCall(call);
        logUpstreamFailure(call);
      },
      onLoad: metrics.upstreamLoad,
    },
    keyStore: {
      onLoad: (reason) => metrics.jwksFetch(reason, 'success'),
      onLoadError(reason, error) {
        metrics.jwksFetch(reason, 'failure');
        logger.warn({ reason, error: describeError(error) }, 'could not load signing keys');
      },
      onStaleUse: () => metrics.serveStale('keys'),
    },
    tokenCacheLookup: (outcome) => metrics.cacheLookup('token', 'memory', outcome),
    decision(event) {
      metrics.decision(event);
      logDecision(event);
      onDecision?.(event);
    },
    countInFlight: (route) =>
      async function countedRoute(c, next) {
        metrics.authInFlight(1);
        try {
          return await route(c, next);
        } finally {
          metrics.authInFlight(-1);
        }
      },
  };
}
