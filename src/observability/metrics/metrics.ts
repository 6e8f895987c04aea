import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamCall } from '../../upstream/http-client.js';
import type { LogDropReason } from '../log-output.js';
import { createBatchedCounter, type CounterSeries } from './batched-counter.js';
import { registerBuildInfo } from './build-info.js';
import { createCountingHistogram } from './counting-histogram.js';
import { decisionLabels, oneOf } from './labels.js';
import { createLogMetrics } from './log-metrics.js';
import { createPolicyMetrics, type PolicyMetrics } from './policy-metrics.js';

export type CacheName = 'token' | 'resolver' | 'keys';
export type CacheLayer = 'memory' | 'redis';
export type CacheOutcome = 'hit' | 'miss' | 'error';
export type RedisState = 'connecting' | 'ready' | 'reconnecting' | 'closed';
export type RedisOperation = 'connection' | 'ping' | 'get' | 'set' | 'add' | 'del';
export type StaleSource = 'resolver' | 'keys';
export type KeySetFetchReason = 'startup' | 'refresh' | 'unknown_kid';
/** The two keep-alive clients towards Authgear, each with its own concurrency limit. */
export type UpstreamClientName = 'keys' | 'resolver';

/** What one decision contributes, as its DecisionEvent (decision/question.ts) carries it. */
export interface DecisionSample {
  status: number;
  code: string;
  via: string | undefined;
  /** user, client, or undefined when nobody authenticated. */
  principal?: string | undefined;
  durationMs: number;
}

/**
 * Everything the service counts, as typed calls: the rest of the code never touches
 * prom-client, so a label can only take the values listed here and cardinality stays fixed.
 */
export interface Metrics extends PolicyMetrics {
  decision(sample: DecisionSample): void;
  /** +1 when an /auth request starts, -1 when it is answered. */
  authInFlight(change: 1 | -1): void;
  cacheLookup(cache: CacheName, layer: CacheLayer, outcome: CacheOutcome): void;
  serveStale(source: StaleSource): void;
  /** A shared entry that failed authentication, ignored. */
  cacheRejected(cache: 'resolver' | 'keys', reason: 'unsigned' | 'bad_signature' | 'expired'): void;
  /** A string for callers that report free-form operation names; unknown ones count as other. */
  redisError(operation: RedisOperation | (string & {})): void;
  redisState(state: RedisState): void;
  upstreamCall(call: Pick<UpstreamCall, 'upstream' | 'outcome' | 'durationMs'>): void;
  upstreamLoad(client: UpstreamClientName, inFlight: number, queued: number): void;
  jwksFetch(reason: KeySetFetchReason, outcome: 'success' | 'failure'): void;
  /** A CLAIM_HEADERS header left out of an answer: its value was over the bound (never cut). */
  claimHeaderOmitted(header: string): void;
  /** A role outside Authgear's role grammar, ignored. */
  roleIgnored(): void;
  /** A log line stdout could not take (see log-output.ts). */
  logLineDropped(reason: LogDropReason): void;
  readonly contentType: string;
  /** The Prometheus text exposition. */
  text(): Promise<string>;
}

export interface MetricsOptions {
  /** process_* and nodejs_* metrics; one per process, so off for gates built in tests. */
  processMetrics?: boolean;
  /** The version authgear_gate_build_info reports; package.json's when not given. */
  version?: string;
}

// Sub-millisecond resolution: a cached JWT decision takes tens of microseconds.
const DECISION_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const REDIS_STATES: readonly RedisState[] = ['connecting', 'ready', 'reconnecting', 'closed'];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const prefix = 'authgear_gate_';

  const decisions = createBatchedCounter({ name: `${prefix}decisions_total`, help: 'Answers of /auth by result (allow, deny, redirect, unavailable), reason code, how the identity was established and who it is (user, client, none).', labelNames: ['result', 'reason', 'via', 'principal'] as const, registers });
  // Counted per request as a plain number (a Gauge's inc validates and hashes labels each
  // time); read at scrape.
  let authInFlight = 0;
  new Gauge({ name: `${prefix}auth_requests_in_flight`, help: '/auth requests being decided now.', registers, collect() { this.set(authInFlight); } });
  const decisionSeconds = createCountingHistogram({ name: `${prefix}decision_duration_seconds`, help: 'Time to answer /auth, from request to decision.', labelNames: ['result', 'via'] as const, buckets: DECISION_BUCKETS, registry });
  const cacheLookups = createBatchedCounter({ name: `${prefix}cache_lookups_total`, help: 'Cache lookups by cache, layer (memory, redis) and outcome.', labelNames: ['cache', 'layer', 'outcome'] as const, registers });
  const cacheRejected = new Counter({ name: `${prefix}cache_rejected_total`, help: 'Entries read from Redis and ignored because they failed authentication (unsigned, a MAC this service did not make for that key, or replayed past their signed expiry), by cache and reason.', labelNames: ['cache', 'reason'] as const, registers });
  // Present at 0 from the start, so an alert on increase() sees the first rejection.
  for (const cache of ['resolver', 'keys']) for (const reason of ['unsigned', 'bad_signature', 'expired']) cacheRejected.inc({ cache, reason }, 0);
  const staleAnswers = new Counter({ name: `${prefix}stale_answers_total`, help: 'Answers served from stale data because Authgear could not be reached.', labelNames: ['source'] as const, registers });
  const redisErrors = new Counter({ name: `${prefix}redis_errors_total`, help: 'Redis commands or connections that failed.', labelNames: ['operation'] as const, registers });
  const redisState = new Gauge({ name: `${prefix}redis_state`, help: 'Redis connection state: 1 for the current state, 0 for the others.', labelNames: ['state'] as const, registers });
  const upstreamSeconds = new Histogram({ name: `${prefix}upstream_duration_seconds`, help: 'Calls to Authgear by upstream (discovery, jwks, resolver) and outcome, queueing included.', labelNames: ['upstream', 'outcome'] as const, buckets: UPSTREAM_BUCKETS, registers });
  const upstreamErrors = new Counter({ name: `${prefix}upstream_errors_total`, help: 'Calls to Authgear that failed (not 2xx, timeout, network, too large, overloaded).', labelNames: ['upstream', 'outcome'] as const, registers });
  const upstreamInFlight = new Gauge({ name: `${prefix}upstream_in_flight`, help: 'Calls to Authgear in flight now, by client (keys, resolver).', labelNames: ['client'] as const, registers });
  const upstreamQueued = new Gauge({ name: `${prefix}upstream_queued`, help: 'Calls to Authgear waiting for a free slot now, by client (keys, resolver).', labelNames: ['client'] as const, registers });
  registerBuildInfo(registers, options.version);
  const claimHeadersOmitted = new Counter({ name: `${prefix}claim_headers_omitted_total`, help: 'CLAIM_HEADERS headers left out of an answer because the claim\'s value would exceed the longest header value the sidecar sends (2048 characters); never cut.', labelNames: ['header'] as const, registers });
  const rolesIgnored = new Counter({ name: `${prefix}roles_ignored_total`, help: 'Roles outside Authgear\'s role grammar (1-40 of [a-zA-Z0-9:_], starting with a letter or _) found in a token or resolver answer: neither matched by policy nor sent.', registers });
  const jwksFetches = new Counter({ name: `${prefix}jwks_fetches_total`, help: 'Key set loads (discovery + JWKS) by reason and outcome.', labelNames: ['reason', 'outcome'] as const, registers });

  // One recorder per distinct (code, via, principal, status) and one counter per (cache,
  // layer, outcome), found through nested maps of the raw values: no key string is built per
  // answer. Remembered only when the values are valid labels, so the maps stay as small as
  // the lists.
  const decisionRecorders = new Map<string, Map<string | undefined, Map<string | undefined, Map<number, (seconds: number) => void>>>>();
  function decisionRecorder(sample: DecisionSample): (seconds: number) => void {
    const byStatus = nested(nested(nested(decisionRecorders, sample.code), sample.via), sample.principal);
    const known = byStatus.get(sample.status);
    if (known) return known;
    const labels = decisionLabels(sample);
    const count = decisions.series(labels);
    const durations = decisionSeconds.series({ result: labels.result, via: labels.via });
    const record = (seconds: number) => {
      count.inc();
      durations.observe(seconds);
    };
    if (labels.reason === sample.code && labels.via === (sample.via ?? 'none') && labels.principal === (sample.principal ?? 'none')) byStatus.set(sample.status, record);
    return record;
  }
  const lookupCounters = new Map<string, Map<string, Map<string, CounterSeries>>>();
  function lookupCounter(cache: string, layer: string, outcome: string): CounterSeries {
    const byOutcome = nested(nested(lookupCounters, cache), layer);
    const known = byOutcome.get(outcome);
    if (known) return known;
    const labels = { cache: oneOf(cache, ['token', 'resolver', 'keys']), layer: oneOf(layer, ['memory', 'redis']), outcome: oneOf(outcome, ['hit', 'miss', 'error']) };
    const series = cacheLookups.series(labels);
    if (labels.cache === cache && labels.layer === layer && labels.outcome === outcome) byOutcome.set(outcome, series);
    return series;
  }

  return {
    decision: (sample) => decisionRecorder(sample)(sample.durationMs / 1000),
    authInFlight: (change) => { authInFlight += change; },
    cacheLookup: (cache, layer, outcome) => lookupCounter(cache, layer, outcome).inc(),
    cacheRejected: (cache, reason) => cacheRejected.inc({ cache: oneOf(cache, ['resolver', 'keys']), reason: oneOf(reason, ['unsigned', 'bad_signature', 'expired']) }),
    serveStale: (source) => staleAnswers.inc({ source: oneOf(source, ['resolver', 'keys']) }),
    redisError: (operation) => redisErrors.inc({ operation: oneOf(operation, ['connection', 'ping', 'get', 'set', 'add', 'del']) }),
    redisState(state) {
      for (const each of REDIS_STATES) redisState.set({ state: each }, each === state ? 1 : 0);
    },
    upstreamCall(call) {
      const labels = {
        upstream: oneOf(call.upstream, ['discovery', 'jwks', 'resolver']),
        outcome: oneOf(call.outcome, ['success', 'http_error', 'timeout', 'network_error', 'too_large', 'overloaded']),
      };
      upstreamSeconds.observe(labels, call.durationMs / 1000);
      if (labels.outcome !== 'success') upstreamErrors.inc(labels);
    },
    upstreamLoad(client, inFlight, queued) {
      const labels = { client: oneOf(client, ['keys', 'resolver']) };
      upstreamInFlight.set(labels, inFlight);
      upstreamQueued.set(labels, queued);
    },
    jwksFetch: (reason, outcome) =>
      jwksFetches.inc({ reason: oneOf(reason, ['startup', 'refresh', 'unknown_kid']), outcome: oneOf(outcome, ['success', 'failure']) }),
    // Header names come from CLAIM_HEADERS only: as many series as the operator configured.
    claimHeaderOmitted: (header) => claimHeadersOmitted.inc({ header }),
    roleIgnored: () => rolesIgnored.inc(),
    logLineDropped: createLogMetrics(registers),
    ...createPolicyMetrics(registers),
    contentType: registry.contentType,
    text: () => registry.metrics(),
  };
}

/** The inner map under `key`, created on first use. */
function nested<K, V extends Map<unknown, unknown>>(outer: Map<K, V>, key: K): V {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map() as V));
  return inner;
}
