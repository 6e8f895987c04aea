import type { CacheObserver } from '../cache/cache.js';
import { createRedisConnectionLog, createRejectionLog } from './cache-logs.js';
import { LRUCache } from 'lru-cache';
import type { AuthDecision, DecisionEvent } from '../decision/question.js';
import type { ClaimReport } from '../decision/identity/token-claims.js';
import { createDecisionLogger, createUpstreamFailureLogger, createWouldDenyLogger, describeError, type Logger } from './logging.js';
import { createPolicyLoadObserver, type PolicyLoadReport } from './policy-log.js';
import type { Metrics, UpstreamClientName } from './metrics/metrics.js';
import type { KeyStoreOptions } from '../oidc/key-store.js';
import type { UpstreamObserver } from '../upstream/http-client.js';

/**
 * The hooks each component takes, each one feeding metrics and logs. Components only know
 * their own observer interface; this is the one place that knows what an event is worth.
 */
export interface Observers {
  upstream(client: UpstreamClientName): UpstreamObserver;
  keyStore: Pick<KeyStoreOptions, 'onLoad' | 'onLoadError' | 'onStaleUse'>;
  tokenCacheLookup(outcome: 'hit' | 'miss'): void;
  /** Claim headers left out and roles ignored while reading tokens and resolver answers. */
  claims: Required<ClaimReport>;
  /** Resolver and key-set caches, Redis errors and state. */
  cache: CacheObserver;
  decision(event: DecisionEvent): void;
  /** POLICY_FILE read at start or again (SIGHUP, a change on disk): applied, refused or unchanged. */
  policyLoad(report: PolicyLoadReport): void;
  /** A decision that failed or an answer that could not be written on this listener; it was answered 503. */
  writeError(listener: string): (error: unknown) => void;
  /** Wraps the /auth decision so requests in flight are counted (what a draining pod still owes). */
  countInFlight(decide: AuthDecision): AuthDecision;
}

export interface ObserverExtras {
  /** The gate's clock, for the decision lines' rate limit; Date.now when not given. */
  now?: () => number;
  onDecision?: (event: DecisionEvent) => void;
  /** Called after the metrics, e.g. by tests that watch the caches. */
  cacheObserver?: CacheObserver;
}

/** A flood of forged entries is one warning a minute; the metric has every one. */
const REJECTION_LOG_INTERVAL_MS = 60_000;
/** Distinct ignored roles remembered, so each is logged once (a role comes from a signed token, never from the client). */
const LOGGED_ROLES = 1000;
const SHOWN_ROLE_CHARS = 100;

/** Each distinct role outside the grammar logged once; every one counted. */
function createRoleReport(metrics: Metrics, logger: Logger): (role: string) => void {
  const logged = new LRUCache<string, true>({ max: LOGGED_ROLES });
  return function roleRefused(role) {
    metrics.roleIgnored();
    if (logged.has(role)) return;
    logged.set(role, true);
    logger.warn({ role: role.slice(0, SHOWN_ROLE_CHARS) }, 'ignored a role outside Authgear\'s role grammar (1-40 of [a-zA-Z0-9:_], starting with a letter or _): not matched by policy, not sent to the app');
  };
}

export function createObservers(metrics: Metrics, logger: Logger, extras: ObserverExtras = {}): Observers {
  const logUpstreamFailure = createUpstreamFailureLogger(logger);
  const logDecision = createDecisionLogger(logger, { now: extras.now ?? Date.now });
  const logWouldDeny = createWouldDenyLogger(logger, { now: extras.now ?? Date.now });
  const extra = extras.cacheObserver ?? {};
  const redisLog = createRedisConnectionLog(logger, Date.now);
  const logRejection = createRejectionLog(logger, { intervalMs: REJECTION_LOG_INTERVAL_MS, now: Date.now });
  return {
    upstream: (client) => ({
      onCall(call) {
        metrics.upstreamCall(call);
        logUpstreamFailure(call);
      },
      onLoad: (inFlight, queued) => metrics.upstreamLoad(client, inFlight, queued),
    }),
    keyStore: {
      onLoad: (reason) => metrics.jwksFetch(reason, 'success'),
      onLoadError(reason, error) {
        metrics.jwksFetch(reason, 'failure');
        logger.warn({ reason, error: describeError(error) }, 'could not load signing keys');
      },
      onStaleUse: () => metrics.serveStale('keys'),
    },
    tokenCacheLookup: (outcome) => metrics.cacheLookup('token', 'memory', outcome),
    claims: {
      claimHeaderOmitted: (header) => metrics.claimHeaderOmitted(header),
      roleRefused: createRoleReport(metrics, logger),
    },
    cache: {
      onCacheLookup(cache, layer, outcome) {
        metrics.cacheLookup(cache, layer, outcome);
        extra.onCacheLookup?.(cache, layer, outcome);
      },
      onServeStale() {
        metrics.serveStale('resolver');
        extra.onServeStale?.();
      },
      onEntryRejected(cache, reason) {
        metrics.cacheRejected(cache, reason);
        logRejection(cache, reason);
        extra.onEntryRejected?.(cache, reason);
      },
      onRedisError(operation, error) {
        metrics.redisError(operation);
        redisLog.onError(operation, error);
        extra.onRedisError?.(operation, error);
      },
      onRedisState(state) {
        metrics.redisState(state);
        redisLog.onState(state);
        extra.onRedisState?.(state);
      },
    },
    decision(event) {
      metrics.decision(event);
      logDecision(event);
      for (const each of event.wouldDeny ?? []) {
        metrics.wouldDeny(each.rule ?? 'default', each.denial.code);
        logWouldDeny(event, each);
      }
      extras.onDecision?.(event);
    },
    policyLoad: createPolicyLoadObserver(metrics, logger, extras.now ?? Date.now),
    writeError: (listener) => (error) => logger.error({ listener, error: describeError(error) }, 'could not decide or write an answer; answered 503'),
    countInFlight: (decide) =>
      // Not async: an answer given synchronously (a known token) must stay so.
      function countedDecision(question) {
        metrics.authInFlight(1);
        let answer: ReturnType<AuthDecision>;
        try {
          answer = decide(question);
        } catch (error) {
          metrics.authInFlight(-1);
          throw error;
        }
        if (!(answer instanceof Promise)) {
          metrics.authInFlight(-1);
          return answer;
        }
        return answer.finally(() => metrics.authInFlight(-1));
      },
  };
}
