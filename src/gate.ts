import type { CacheObserver } from './cache/cache.js';
import { composeAssertions } from './composition/assertions.js';
import { composeDecision } from './composition/decision.js';
import { composeKeys } from './composition/keys.js';
import { composeListeners, type ListenerSpec } from './composition/listeners.js';
import { composePolicy, type ReloadTrigger } from './composition/policy.js';
import { composeSharing } from './composition/sharing.js';
import type { Config } from './config/load-config.js';
import type { Authenticator } from './decision/authentication/authenticator.js';
import type { AuthDecision, DecisionEvent } from './decision/question.js';
import type { Logger } from './observability/logging.js';
import { createMetrics, type Metrics } from './observability/metrics/metrics.js';
import { createObservers } from './observability/observers.js';
import type { KeyStore } from './oidc/key-store.js';
import type { Tracing } from './observability/tracing/tracing.js';

export interface GateDependencies {
  logger: Logger;
  /** Wall clock in ms; tests pass a fake one. */
  now?: () => number;
  onDecision?: (event: DecisionEvent) => void;
  /** Cache lookups, serve-stale and Redis errors, for metrics. */
  cacheObserver?: CacheObserver;
  /** Default: a fresh registry without process metrics (the server passes one with them). */
  metrics?: Metrics;
  /** Spans for decisions and their calls out (composition/tracing.ts loads it when configured); the caller closes it. */
  tracing?: Tracing;
}

export interface Gate {
  /** Every listener the configuration turns on, in the order server.ts starts them. */
  listeners: ListenerSpec[];
  /** The one decision every listener asks. */
  decide: AuthDecision;
  keyStore: KeyStore;
  authenticator: Authenticator;
  metrics: Metrics;
  /** Loads discovery and keys (retrying); decisions are 503 until it is done. */
  start(signal?: AbortSignal): Promise<void>;
  /**
   * Reads POLICY_FILE again (server.ts: on SIGHUP and when the file changes): applied to the
   * requests that start after it when valid, logged and counted when not.
   */
  reloadPolicy(trigger: ReloadTrigger): 'success' | 'failure' | 'unchanged' | 'none';
  /** Shutdown has begun: /readyz answers 503 from now on, decisions keep coming. */
  drain(): void;
  close(): Promise<void>;
}

/**
 * Builds the whole service from a validated config. src/composition/ is the one place that
 * reads the Config, handing each component only the options it needs. No listening, no
 * signals, no env, no globals touched. Asynchronous because optional parts (signed
 * assertions) are loaded only when configured.
 */
export async function createGate(config: Config, deps: GateDependencies): Promise<Gate> {
  const now = deps.now ?? Date.now;
  // First, before any client or cache exists: nothing to close if it fails.
  const assertions = await composeAssertions(config, { now, logger: deps.logger });
  const metrics = deps.metrics ?? createMetrics();
  const observers = createObservers(metrics, deps.logger, { now, onDecision: deps.onDecision, cacheObserver: deps.cacheObserver });
  const { tracing } = deps;
  const sharing = await composeSharing(config, { logger: deps.logger, now, observer: observers.cache, tracing });
  const keys = composeKeys(config, { now, observers, sharing, tracing });
  const policy = composePolicy(config, { observers });
  const { decide, authenticator, tokenCacheSize, close: closeDecision } = composeDecision(config, { now, observers, sharing, keys, policy, assert: assertions.assert, tracing });
  metrics.cacheEntries('token', tokenCacheSize);

  let draining = false;
  const listeners = composeListeners(config, {
    decide,
    metrics,
    observers,
    logger: deps.logger,
    extraRoutes: assertions.routes,
    // A cache outage slows us down but answers keep coming: report it, stay ready.
    async readiness() {
      const ready = keys.keyStore.isReady();
      const checks: Record<string, string> = { keys: ready ? 'ok' : 'not loaded', ...(await sharing.checks()) };
      if (draining) checks.shutdown = 'draining';
      return { ready: ready && !draining, checks };
    },
  });

  return {
    listeners,
    decide,
    keyStore: keys.keyStore,
    authenticator,
    metrics,
    async start(signal) {
      policy.reportStart();
      await sharing.connect();
      await keys.keyStore.start(signal);
    },
    reloadPolicy: (trigger) => policy.reload(trigger),
    drain() {
      draining = true;
    },
    async close() {
      keys.close();
      closeDecision();
      await sharing.close();
    },
  };
}
