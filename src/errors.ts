/**
 * The service's error vocabulary, as jose has one: every code an error or a refusal can
 * carry, in one closed union, so tests, metrics and logs can rely on it.
 */

/**
 * Every way a request can be refused, as one stable vocabulary. The code is what operators
 * grep for, what metrics count and what tests assert; messages may change, codes may not.
 */
export const DENIAL_STATUS = {
  // 401: the caller did not prove who it is
  credentials_missing: 401,
  credentials_malformed: 401,
  request_malformed: 401,
  token_too_large: 401,
  token_malformed: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  token_type_invalid: 401,
  bad_signature: 401,
  alg_not_allowed: 401,
  unknown_key: 401,
  wrong_issuer: 401,
  wrong_audience: 401,
  claims_invalid: 401,
  session_invalid: 401,
  auth_too_old: 401,
  id_token_required: 401,
  id_token_mismatch: 401,
  // 403: we know who it is, and the answer is no
  anonymous_user: 403,
  unverified_user: 403,
  missing_role: 403,
  // an identity header (user id, roles, amr, client id, scope) would exceed the longest value
  // the sidecar sends: cutting it could make two users one, so nobody passes with it
  identity_too_large: 403,
  // RFC 6750 3.1: the access token lacks a scope the route needs (403 with a challenge naming it)
  insufficient_scope: 403,
  // a machine (M2M) token on a route for users, or a user on a route for machine clients
  principal_not_allowed: 403,
  // the route needs what only a JWT access token proves (its aud or scope); a session or a
  // token the resolver answered for carries neither, and logging in again would not change that
  access_token_required: 403,
  // the route has claim conditions, which only a JWT access token verified here carries; a
  // session checked by the resolver (headers, not claims) cannot meet them
  claims_unavailable: 403,
  // a verified claim does not meet one of the route's claim conditions
  claim_mismatch: 403,
  reauthentication_impossible: 403,
  route_denied: 403,
  login_failed: 403,
  // 403 too: the route's own requirements are broken (e.g. a bad auth URL query), an
  // operator mistake that no retry or login can fix, so it must not look like a 5xx blip
  policy_invalid: 403,
  // ... as is an ext_authz check request whose path is not under EXT_AUTHZ_PATH_PREFIX: the
  // gateway's prefix and ours differ, so the original path cannot be told apart from it
  path_outside_prefix: 403,
  // Refused by the HTTP layer before any decision: the request could not be parsed, its head
  // is larger than MAX_HEADER_BYTES, or it did not arrive in time
  request_unparsable: 400,
  // an HTTP/1.1 request without exactly one Host header (RFC 9112 3.2), whatever else it says
  host_required: 400,
  request_timeout: 408,
  request_too_large: 431,
  // 503: we cannot decide, so we do not allow
  keys_unavailable: 503,
  resolver_unavailable: 503,
  internal_error: 503,
} as const;

export type DenialCode = keyof typeof DENIAL_STATUS;
export type DenialStatus = (typeof DENIAL_STATUS)[DenialCode];

/**
 * What lets a request through: a proven identity (`allowed`), or a route that needs none
 * (`public`, `cors_preflight`). `login_callback` sends the browser back where it came from.
 */
export const ADMISSIONS = ['allowed', 'public', 'cors_preflight', 'login_callback'] as const;
export type Admission = (typeof ADMISSIONS)[number];

/** Every outcome of a decision: the reason header, the metrics label and the log field. */
export type OutcomeCode = Admission | DenialCode;
export const OUTCOME_CODES: readonly OutcomeCode[] = [...ADMISSIONS, ...(Object.keys(DENIAL_STATUS) as DenialCode[])];

/** Failures of the service's own parts (configuration, calls out, caches, key loading, resolver answers). */
export const SERVICE_ERROR_CODES = ['config_invalid', 'upstream_failed', 'cache_unavailable', 'keys_not_loaded', 'resolver_answer_invalid'] as const;
export type ServiceErrorCode = (typeof SERVICE_ERROR_CODES)[number];

/** Every code a GateError carries: a refusal's reason, or a failure of the service's own. */
export type GateErrorCode = DenialCode | ServiceErrorCode;

/** Base class of every error this service raises on purpose; anything else is a bug. */
export class GateError extends Error {
  override readonly name: string = 'GateError';
  constructor(
    readonly code: GateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One or more configuration problems; the process must not start. */
export class ConfigError extends GateError {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super('config_invalid', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** A call to Authgear failed (network, timeout, unexpected status or body). */
export class UpstreamError extends GateError {
  override readonly name = 'UpstreamError';
  constructor(
    readonly upstream: 'discovery' | 'jwks' | 'resolver',
    message: string,
    options?: { cause?: unknown },
  ) {
    super('upstream_failed', message, options);
  }
}
