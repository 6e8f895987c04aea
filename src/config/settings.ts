import { z } from 'zod';
import { hostPattern } from '../decision/request/host-patterns.js';
import { IDENTITY_HEADER_NAMES } from '../decision/identity/identity.js';
import { AUTH_MODES } from '../decision/authentication/auth-mode.js';
import { SIGNING_ALGORITHMS } from '../oidc/jws-algorithms.js';
import { TRACING_SETTINGS } from './tracing-settings.js';


const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const origin = z.url().transform((value, ctx) => {
  const url = new URL(value);
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    ctx.addIssue({ code: 'custom', message: 'must be https (http is accepted for loopback only)' });
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must be the project origin, without path or query' });
  }
  return url.origin;
});

const baseUrl = z.url().transform((value) => value.replace(/\/+$/, ''));

const list = <T extends z.ZodType<unknown, string>>(item: T) =>
  z.string().transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean)).pipe(z.array(item));

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const redisUrl = z.url().refine((value) => /^rediss?:\/\//.test(value), 'must be redis:// or rediss:// (TLS)');
const COOKIE_PREFIX = /^[A-Za-z0-9_.-]{0,64}$/;

// Every header the sidecar sends starts with x-authgear-, so one rule in each gateway (Caddy
// `request_header -X-Authgear-*`, Traefik `authResponseHeadersRegex: ^X-Authgear-`) removes
// the client's copies of all of them, custom claim headers included.
const CLAIM_HEADER_PREFIX = 'x-authgear-';
const HEADER_NAME = /^x-authgear-[a-z0-9][a-z0-9-]*$/;
const RESERVED_HEADERS = [...IDENTITY_HEADER_NAMES, 'x-authgear-gate-reason'];

// Prepended by the gateway to every original path, so a path of its own: no query, no
// fragment, nothing a URL parser would read differently.
const extAuthzPathPrefix = z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]{0,255}$/, 'must start with / and hold only path characters (no query, fragment or escapes)');
const claimHeaders = z.string().transform((value, ctx) => {
  const mapping: Array<{ claim: string; header: string }> = [];
  for (const pair of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const at = pair.lastIndexOf('=');
    const claim = pair.slice(0, at).trim();
    const header = pair.slice(at + 1).trim().toLowerCase();
    if (at <= 0 || !claim) ctx.addIssue({ code: 'custom', message: `"${pair}" is not claim=X-Authgear-Header-Name` });
    else if (!header.startsWith(CLAIM_HEADER_PREFIX)) {
      ctx.addIssue({ code: 'custom', message: `"${header}" must start with ${CLAIM_HEADER_PREFIX} (e.g. ${CLAIM_HEADER_PREFIX}${header.replace(/^x-/, '')}): the shipped gateway configs strip client copies of x-authgear-* headers only` });
    } else if (!HEADER_NAME.test(header)) ctx.addIssue({ code: 'custom', message: `"${header}" must look like ${CLAIM_HEADER_PREFIX}some-name` });
    else if (RESERVED_HEADERS.includes(header)) ctx.addIssue({ code: 'custom', message: `"${header}" is a header of the sidecar's own` });
    else mapping.push({ claim, header });
  }
  return mapping;
});

/**
 * Every setting, its environment variable, default and meaning, in one place. The
 * configuration table of docs/configuration.md is checked against this list by a test.
 */
export const SETTINGS = {
  authgearEndpoint: { env: 'AUTHGEAR_ENDPOINT', schema: origin, doc: 'Authgear project origin (the token issuer), e.g. https://myapp.authgear.cloud. Required.' },
  authgearInternalUrl: { env: 'AUTHGEAR_INTERNAL_URL', schema: baseUrl.optional(), doc: 'Where to reach Authgear from here (e.g. an in-cluster Service URL). Requests carry Host of the public endpoint. Default: the endpoint.' },
  gateway: { env: 'GATEWAY', schema: z.enum(['auto', 'nginx', 'forward-auth']).default('auto'), doc: 'Which headers describe the original request: nginx (X-Original-*), forward-auth (X-Forwarded-*, Traefik/Caddy), or auto (per request).' },
  port: { env: 'PORT', schema: integer(1, 65535).default(8080), doc: 'Port of /auth, /healthz, /readyz.' },
  listenHost: { env: 'LISTEN_HOST', schema: z.string().min(1).default('0.0.0.0'), doc: 'Address to listen on.' },
  acceptedAudiences: { env: 'ACCEPTED_AUDIENCES', schema: list(z.string().min(1)).optional(), doc: 'Comma-separated audiences an access token may carry. Default: the endpoint origin (what Authgear puts in aud).' },
  allowedAlgorithms: { env: 'ALLOWED_ALGORITHMS', schema: list(z.enum(SIGNING_ALGORITHMS)).pipe(z.array(z.enum(SIGNING_ALGORITHMS)).min(1)).default(['RS256']), doc: 'Comma-separated JWS algorithms accepted. Asymmetric only; HS* and none can never be enabled.' },
  clockSkewSeconds: { env: 'CLOCK_SKEW_SECONDS', schema: integer(0, 300).default(30), doc: 'Tolerance for exp/nbf/auth_time comparisons, at most 300.' },
  jwksRefreshSeconds: { env: 'JWKS_REFRESH_SECONDS', schema: integer(10, 86400).default(300), doc: 'Age after which the key set is refreshed in the background (Authgear sends no Cache-Control).' },
  jwksMissCooldownSeconds: { env: 'JWKS_MISS_COOLDOWN_SECONDS', schema: integer(1, 3600).default(30), doc: 'Longest wait between key set refetches caused by unknown kids (a flood of random kids), and the wait between retries of a failed background refresh. The wait starts at none, is 1 s after a refetch that found no new key and doubles with each further one up to this; new keys, or twice this long without such a refetch, start it afresh.' },
  tokenCacheMaxEntries: { env: 'TOKEN_CACHE_MAX_ENTRIES', schema: integer(0, 10_000_000).default(100_000), doc: 'Verified tokens kept in process (by SHA-256) until their exp; 0 disables.' },
  maxTokenBytes: { env: 'MAX_TOKEN_BYTES', schema: integer(256, 65536).default(8192), doc: 'Longer bearer tokens or cookies are refused with token_too_large.' },
  upstreamTimeoutMs: { env: 'UPSTREAM_TIMEOUT_MS', schema: integer(50, 30_000).default(2000), doc: 'Deadline of each discovery and JWKS call to Authgear (the resolver has RESOLVER_TIMEOUT_MS), time waiting for a free slot included.' },
  upstreamMaxInFlight: { env: 'UPSTREAM_MAX_IN_FLIGHT', schema: integer(1, 1024).default(64), doc: 'Calls in flight at once from each client to Authgear (keys, resolver); more wait in a bounded queue.' },
  upstreamMaxQueued: { env: 'UPSTREAM_MAX_QUEUED', schema: integer(0, 100_000).default(256), doc: 'Calls allowed to wait for a slot, per client; beyond that a call fails at once (fail closed, 503), so an outage cannot pile up work.' },
  maxHeaderBytes: { env: 'MAX_HEADER_BYTES', schema: integer(4096, 262_144).default(32_768), doc: 'Largest request head (all headers) accepted; Node answers 431 beyond it. Must exceed MAX_TOKEN_BYTES.' },
  claimHeaders: { env: 'CLAIM_HEADERS', schema: claimHeaders.default([]), doc: 'Extra claims to pass as headers: claim=x-authgear-name pairs, comma-separated (e.g. https://myapp.example/tenant=x-authgear-tenant). Names must start with x-authgear-.' },
  authMode: { env: 'AUTH_MODE', schema: z.enum(AUTH_MODES).default('auto'), doc: 'auto: a JWT bearer is verified here, anything else goes to the resolver; jwt: local only; resolver: everything, for exact revocation.' },
  cookiePrefix: { env: 'AUTHGEAR_COOKIE_PREFIX', schema: z.string().regex(COOKIE_PREFIX, 'may hold only letters, digits, _ . - (at most 64)').default(''), doc: 'Prefix of the Authgear cookie names (session, app_session, app_access_token), as configured in Authgear.' },
  resolverUrl: { env: 'RESOLVER_URL', schema: baseUrl.optional(), doc: 'Where to reach /_resolver/resolve (e.g. the in-cluster resolver Service). Requests carry Host of the public endpoint. Default: AUTHGEAR_INTERNAL_URL, else the endpoint.' },
  resolverTimeoutMs: { env: 'RESOLVER_TIMEOUT_MS', schema: integer(50, 10_000).default(1000), doc: 'Timeout of each resolver call; past it the answer is 503 resolver_unavailable (or a stale answer, see RESOLVER_SERVE_STALE_SECONDS).' },
  resolverPositiveTtlSeconds: { env: 'RESOLVER_POSITIVE_TTL_SECONDS', schema: integer(0, 3600).default(30), doc: 'How long a valid session answer is reused (across replicas with Redis): the longest a revoked session keeps working. 0 asks Authgear every time.' },
  resolverNegativeTtlSeconds: { env: 'RESOLVER_NEGATIVE_TTL_SECONDS', schema: integer(0, 3600).default(10), doc: 'How long a refusal (invalid session or token) is reused. 0 disables.' },
  resolverLocalTtlSeconds: { env: 'RESOLVER_LOCAL_TTL_SECONDS', schema: integer(0, 3600).default(5), doc: 'With Redis: how long an answer is also kept in process, in front of Redis (never beyond its own TTL).' },
  resolverServeStaleSeconds: { env: 'RESOLVER_SERVE_STALE_SECONDS', schema: integer(0, 3600).default(0), doc: 'While the resolver fails, reuse the last valid answer for the same credentials for up to this long past its TTL. 0 (default): fail closed at once.' },
  resolverCacheMaxEntries: { env: 'RESOLVER_CACHE_MAX_ENTRIES', schema: integer(1, 10_000_000).default(100_000), doc: 'Resolver answers kept in process (keyed by SHA-256 of the credentials).' },
  redisUrl: { env: 'REDIS_URL', schema: redisUrl.optional(), doc: 'Redis shared by every replica (resolver answers, JWKS), e.g. redis://:password@redis:6379/0. Default: in-process cache only.' },
  redisSentinelUrls: { env: 'REDIS_SENTINEL_URLS', schema: list(redisUrl).optional(), doc: 'Comma-separated Sentinel addresses (redis://host:26379); use with REDIS_SENTINEL_MASTER instead of REDIS_URL.' },
  redisSentinelMaster: { env: 'REDIS_SENTINEL_MASTER', schema: z.string().min(1).optional(), doc: 'Name of the master the Sentinels watch.' },
  redisSentinelPassword: { env: 'REDIS_SENTINEL_PASSWORD', schema: z.string().min(1).optional(), doc: 'Password of the Sentinels themselves, if they require one.' },
  redisClusterUrls: { env: 'REDIS_CLUSTER_URLS', schema: list(redisUrl).optional(), doc: 'Comma-separated Redis Cluster seed nodes (redis://host:6379); instead of REDIS_URL.' },
  redisUsername: { env: 'REDIS_USERNAME', schema: z.string().min(1).optional(), doc: 'ACL user of the Redis nodes (REDIS_URL, Sentinel-managed or Cluster), unless REDIS_URL carries one.' },
  redisPassword: { env: 'REDIS_PASSWORD', schema: z.string().min(1).optional(), doc: 'Password of the Redis nodes (REDIS_URL, Sentinel-managed or Cluster), unless REDIS_URL carries one.' },
  redisHmacSecret: { env: 'REDIS_HMAC_SECRET', schema: z.string().min(1).optional(), doc: 'Required with Redis: signs every entry shared through Redis and hides its keys, so whoever can reach Redis cannot plant a key set or a session answer. The same on every replica; at least 32 random bytes: openssl rand -base64 32.' },
  redisHmacPreviousSecret: { env: 'REDIS_HMAC_PREVIOUS_SECRET', schema: z.string().min(1).optional(), doc: 'While rotating REDIS_HMAC_SECRET: the secret being replaced; entries signed with it are still read, never written.' },
  redisKeyPrefix: { env: 'REDIS_KEY_PREFIX', schema: z.string().max(100).default('authgear-gate:'), doc: 'Prefix of every key this service writes.' },
  redisTimeoutMs: { env: 'REDIS_TIMEOUT_MS', schema: integer(10, 10_000).default(250), doc: 'Budget of each Redis command; past it the answer comes from Authgear instead.' },
  realm: { env: 'REALM', schema: z.string().regex(/^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,100}$/, 'must be 1-100 printable ASCII characters without " or \\').default('authgear-gate'), doc: 'realm of the WWW-Authenticate challenge.' },
  policyFile: { env: 'POLICY_FILE', schema: z.string().min(1).optional(), doc: 'YAML or JSON file of route rules (host, path, method; roles, claims, freshness, ...), read again on SIGHUP and when it changes. Default: every route needs a signed-in user.' },
  clientIds: { env: 'CLIENT_IDS', schema: list(z.string().min(1)).default([]), doc: 'Comma-separated Authgear client ids: the accepted aud of ID tokens; the first one is used for browser login.' },
  idTokenHeader: { env: 'ID_TOKEN_HEADER', schema: z.string().toLowerCase().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a header name: letters, digits and -, at most 64').default('x-authgear-id-token'), doc: 'Request header carrying an Authgear ID token, for routes whose freshness comes from an ID token.' },
  loginRedirectUri: { env: 'LOGIN_REDIRECT_URI', schema: z.url({ protocol: /^https?$/ }).refine((value) => !value.includes('#'), 'must not have a fragment').optional(), doc: 'Redirect URI registered in Authgear for the first client id; setting it sends browsers to Authgear\'s login page instead of a bare 401.' },
  returnToHosts: { env: 'RETURN_TO_HOSTS', schema: list(hostPattern).optional(), doc: 'Comma-separated hosts (or *.example.com) a browser may be sent back to after login. Default: the host of LOGIN_REDIRECT_URI.' },
  assertionKeyFile: { env: 'ASSERTION_KEY_FILE', schema: z.string().min(1).optional(), doc: 'PEM or JWK file of the private key that signs X-Authgear-Gate-Assertion, the identity as a short-lived JWT every allowed answer carries (P-256: ES256, RSA 2048-4096 bits: RS256, Ed25519: EdDSA); its public key is served at /.well-known/jwks.json. Unset: no assertions.' },
  assertionPreviousKeyFile: { env: 'ASSERTION_PREVIOUS_KEY_FILE', schema: z.string().min(1).optional(), doc: 'While rotating ASSERTION_KEY_FILE: a key (private or public, PEM or JWK) published beside it and never used to sign, so apps keep accepting what it signed.' },
  assertionIssuer: { env: 'ASSERTION_ISSUER', schema: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters, no spaces').default('authgear-gate'), doc: 'iss of the assertions: what apps check it against.' },
  assertionAudience: { env: 'ASSERTION_AUDIENCE', schema: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters, no spaces').optional(), doc: 'aud of every assertion. Default: the host of each original request (lower case, without the port), so an assertion made for one app is refused by another.' },
  assertionTtlSeconds: { env: 'ASSERTION_TTL_SECONDS', schema: integer(1, 300).default(60), doc: 'Lifetime of an assertion (exp - iat), 1 to 300. One is signed per identity, host and rule, and reused until a third of this is left.' },
  logLevel: { env: 'LOG_LEVEL', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), doc: 'Log level; allows are logged at debug.' },
  extAuthzPort: { env: 'EXT_AUTHZ_PORT', schema: integer(1, 65535).optional(), doc: 'When set, Envoy ext_authz over HTTP (Envoy Gateway, Istio, kgateway, NGINX Gateway Fabric: Gateway API ExternalAuth) is answered on this port: the check request\'s method, path and Host are the original request\'s, and every path is an app path (no /healthz, /metrics or /auth there). Must differ from PORT and METRICS_PORT.' },
  extAuthzPathPrefix: { env: 'EXT_AUTHZ_PATH_PREFIX', schema: extAuthzPathPrefix.default(''), doc: 'What the gateway puts before the original path in ext_authz check requests (Envoy path_prefix, the ExternalAuth filter\'s http.path); a check request outside it is refused (403 path_outside_prefix). NGINX Gateway Fabric needs it: set it to the filter\'s http.path.' },
  extAuthzGrpcPort: { env: 'EXT_AUTHZ_GRPC_PORT', schema: integer(1, 65535).optional(), doc: 'When set, Envoy\'s ext_authz gRPC service (envoy.service.auth.v3.Authorization/Check, for Contour, Istio, Envoy Gateway and the ExternalAuth filter\'s GRPC protocol) listens on this port: plaintext HTTP/2, TLS left to the mesh. A CheckRequest larger than MAX_HEADER_BYTES + 64 KiB is refused. Unset: off.' },
  metricsPort: { env: 'METRICS_PORT', schema: integer(1, 65535).optional(), doc: 'When set, /metrics is served on this port only (not on PORT).' },
  shutdownTimeoutSeconds: { env: 'SHUTDOWN_TIMEOUT_SECONDS', schema: integer(1, 600).default(20), doc: 'After SIGTERM/SIGINT, the process exits within this time (keep it below the Kubernetes termination grace period).' },
  shutdownDelaySeconds: { env: 'SHUTDOWN_DELAY_SECONDS', schema: integer(0, 300).default(0), doc: 'After SIGTERM, keep serving this long with /readyz at 503 so endpoints are removed before the listener closes. Counts towards the timeout.' },
  ...TRACING_SETTINGS,
} as const;

/** The value of every setting once parsed, defaults applied. */
export type Settings = { [K in keyof typeof SETTINGS]: z.output<(typeof SETTINGS)[K]['schema']> };
