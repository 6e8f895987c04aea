/**
 * Input series for `promtool test rules` against deploy/base/prometheusrule.yaml: for every
 * alert a case where it fires (with the labels it must carry), and one healthy pod, with the
 * blips a healthy pod has (a failed key refresh that recovers, a few 503s, a short queue),
 * where none may fire. Series carry the labels the Prometheus operator gives a target.
 */
export interface InputSeries {
  series: string;
  /** promtool's expanding notation, one value per interval: `0+60x30` counts up 60 a minute. */
  values: string;
}

export interface AlertScenario {
  name: string;
  series: InputSeries[];
  /** Alerts firing at `at` (a duration from the start), each with its labels, severity included. */
  firing: Array<{ alert: string; at: string; labels: Array<Record<string, string>> }>;
}

const target = { job: 'authgear-gate', namespace: 'authgear-gate', pod: 'authgear-gate-5d8c7-x2k9p' };
const { namespace, pod } = target;

/** A series of the scraped pod: its target labels plus these. */
export function series(name: string, labels: Record<string, string>, values: string): InputSeries {
  const all = Object.entries({ ...target, ...labels }).map(([key, value]) => `${key}="${value}"`);
  return { series: `${name}{${all.join(',')}}`, values };
}

const decisions = (result: string, reason: string, via: string, values: string) => series('authgear_gate_decisions_total', { result, reason, via }, values);
const buildInfo = series('authgear_gate_build_info', { version: '0.2.0', node_version: 'v26.12.1' }, '1x90');

export const FIRING: AlertScenario[] = [
  {
    name: 'no target scraped',
    series: [{ series: 'up{job="prometheus"}', values: '1x20' }],
    firing: [{ alert: 'AuthgearGateDown', at: '10m', labels: [{ job: 'authgear-gate', severity: 'critical' }] }],
  },
  {
    name: '9% of answers are 503',
    series: [decisions('unavailable', 'resolver_unavailable', 'none', '0+60x30'), decisions('allow', 'allowed', 'jwt', '0+600x30')],
    firing: [
      { alert: 'AuthgearGateFailingClosed', at: '15m', labels: [{ namespace, severity: 'critical' }] },
      { alert: 'AuthgearGateUnavailableAnswers', at: '25m', labels: [{ namespace, severity: 'warning' }] },
    ],
  },
  {
    name: 'most answers take 250 to 500 ms',
    series: [
      ...[['0.1', '0+10x30'], ['0.25', '0+10x30'], ['0.5', '0+100x30'], ['+Inf', '0+100x30']].map(([le, values]) =>
        series('authgear_gate_decision_duration_seconds_bucket', { result: 'allow', via: 'resolver', le: le! }, values!)),
    ],
    firing: [{ alert: 'AuthgearGateSlowDecisions', at: '20m', labels: [{ namespace, severity: 'warning' }] }],
  },
  {
    name: 'a blocked event loop',
    series: [buildInfo, series('nodejs_eventloop_lag_p99_seconds', {}, '0.3x30')],
    firing: [{ alert: 'AuthgearGateEventLoopLag', at: '15m', labels: [{ namespace, pod, severity: 'warning' }] }],
  },
  {
    name: '10% of resolver calls time out',
    series: [
      series('authgear_gate_upstream_errors_total', { upstream: 'resolver', outcome: 'timeout' }, '0+6x30'),
      series('authgear_gate_upstream_duration_seconds_count', { upstream: 'resolver', outcome: 'timeout' }, '0+6x30'),
      series('authgear_gate_upstream_duration_seconds_count', { upstream: 'resolver', outcome: 'success' }, '0+54x30'),
    ],
    firing: [{ alert: 'AuthgearGateUpstreamErrors', at: '20m', labels: [{ namespace, upstream: 'resolver', severity: 'warning' }] }],
  },
  {
    name: 'resolver calls queued for 15 minutes',
    series: [series('authgear_gate_upstream_queued', { client: 'resolver' }, '5x30')],
    firing: [{ alert: 'AuthgearGateUpstreamQueueing', at: '15m', labels: [{ namespace, pod, client: 'resolver', severity: 'warning' }] }],
  },
  {
    name: 'a full queue turns calls away',
    series: [series('authgear_gate_upstream_errors_total', { upstream: 'resolver', outcome: 'overloaded' }, '0+30x30')],
    firing: [{ alert: 'AuthgearGateUpstreamOverloaded', at: '15m', labels: [{ namespace, pod, upstream: 'resolver', severity: 'warning' }] }],
  },
  {
    name: 'every key refresh fails',
    series: [
      series('authgear_gate_jwks_fetches_total', { reason: 'startup', outcome: 'success' }, '1x40'),
      series('authgear_gate_jwks_fetches_total', { reason: 'refresh', outcome: 'failure' }, '0+1x40'),
      series('authgear_gate_stale_answers_total', { source: 'keys' }, '0+30x40'),
    ],
    firing: [
      { alert: 'AuthgearGateKeyRefreshFailing', at: '25m', labels: [{ namespace, pod, severity: 'warning' }] },
      { alert: 'AuthgearGateStaleKeys', at: '25m', labels: [{ namespace, pod, severity: 'warning' }] },
    ],
  },
  {
    name: 'sessions answered from stale resolver answers',
    series: [series('authgear_gate_stale_answers_total', { source: 'resolver' }, '0+30x30')],
    firing: [{ alert: 'AuthgearGateStaleSessions', at: '15m', labels: [{ namespace, pod, severity: 'warning' }] }],
  },
  {
    name: 'a pod that never loaded keys',
    series: [
      buildInfo,
      series('process_start_time_seconds', {}, '0x20'),
      series('authgear_gate_jwks_fetches_total', { reason: 'startup', outcome: 'failure' }, '0+2x20'),
    ],
    firing: [{ alert: 'AuthgearGateNeverReady', at: '10m', labels: [{ ...target, severity: 'warning' }] }],
  },
  {
    name: 'Redis gone',
    series: [
      series('authgear_gate_redis_state', { state: 'ready' }, '0x20'),
      series('authgear_gate_redis_state', { state: 'reconnecting' }, '1x20'),
    ],
    firing: [{ alert: 'AuthgearGateRedisDown', at: '10m', labels: [{ namespace, pod, severity: 'warning' }] }],
  },
  {
    name: '1 Redis lookup in 6 fails',
    series: [
      series('authgear_gate_cache_lookups_total', { cache: 'resolver', layer: 'redis', outcome: 'error' }, '0+10x30'),
      series('authgear_gate_cache_lookups_total', { cache: 'resolver', layer: 'redis', outcome: 'hit' }, '0+50x30'),
    ],
    firing: [{ alert: 'AuthgearGateRedisLookupsFailing', at: '20m', labels: [{ namespace, pod, severity: 'warning' }] }],
  },
  {
    name: 'a planted key set is read and refused',
    series: [series('authgear_gate_cache_rejected_total', { cache: 'keys', reason: 'unsigned' }, '0x10 2x20')],
    firing: [{ alert: 'AuthgearGateRedisEntriesRejected', at: '12m', labels: [{ namespace, pod, cache: 'keys', reason: 'unsigned', severity: 'warning' }] }],
  },
  {
    name: 'a policy file saved invalid and left so',
    series: [
      series('authgear_gate_policy_file_valid', {}, '1x5 0x20'),
      series('authgear_gate_policy_reload_total', { result: 'failure' }, '0x5 1x20'),
    ],
    firing: [{ alert: 'AuthgearGatePolicyFileInvalid', at: '12m', labels: [{ namespace, pod, severity: 'warning' }] }],
  },
];

/** 90 minutes of a healthy pod, checked during each blip (503s at 11m, a timeout at 21m, a
 * failed refresh, stale keys and a queue at 31m, Redis errors at 41m, a policy file saved
 * invalid and fixed 3 minutes later at 41m) and after. */
export const HEALTHY_AT = ['13m', '23m', '33m', '43m', '60m', '89m'];
export const HEALTHY: InputSeries[] = [
  buildInfo,
  series('process_start_time_seconds', {}, '0x90'),
  series('nodejs_eventloop_lag_p99_seconds', {}, '0.004x90'),
  decisions('allow', 'allowed', 'jwt', '0+600x90'),
  decisions('deny', 'credentials_missing', 'none', '0+30x90'),
  decisions('unavailable', 'resolver_unavailable', 'none', '0x10 5x80'),
  series('authgear_gate_decision_duration_seconds_bucket', { result: 'allow', via: 'jwt', le: '0.001' }, '0+590x90'),
  series('authgear_gate_decision_duration_seconds_bucket', { result: 'allow', via: 'jwt', le: '0.25' }, '0+600x90'),
  series('authgear_gate_decision_duration_seconds_bucket', { result: 'allow', via: 'jwt', le: '+Inf' }, '0+600x90'),
  series('authgear_gate_upstream_duration_seconds_count', { upstream: 'resolver', outcome: 'success' }, '0+60x90'),
  series('authgear_gate_upstream_duration_seconds_count', { upstream: 'resolver', outcome: 'timeout' }, '0x20 1x70'),
  series('authgear_gate_upstream_errors_total', { upstream: 'resolver', outcome: 'timeout' }, '0x20 1x70'),
  series('authgear_gate_upstream_queued', { client: 'resolver' }, '0x30 2x3 0x56'),
  series('authgear_gate_jwks_fetches_total', { reason: 'startup', outcome: 'success' }, '1x90'),
  series('authgear_gate_jwks_fetches_total', { reason: 'refresh', outcome: 'success' }, '0+0.2x90'),
  series('authgear_gate_jwks_fetches_total', { reason: 'refresh', outcome: 'failure' }, '0x30 1x60'),
  series('authgear_gate_stale_answers_total', { source: 'keys' }, '0x30 3x60'),
  series('authgear_gate_redis_state', { state: 'ready' }, '1x90'),
  series('authgear_gate_redis_state', { state: 'reconnecting' }, '0x90'),
  series('authgear_gate_cache_lookups_total', { cache: 'resolver', layer: 'redis', outcome: 'hit' }, '0+50x90'),
  series('authgear_gate_cache_lookups_total', { cache: 'resolver', layer: 'redis', outcome: 'error' }, '0x40 2x50'),
  series('authgear_gate_cache_rejected_total', { cache: 'resolver', reason: 'bad_signature' }, '0x90'),
  series('authgear_gate_policy_file_valid', {}, '1x40 0x3 1x46'),
];
