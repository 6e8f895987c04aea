import { Denial } from '../outcome.js';
import { canonicalHostname } from './host-patterns.js';
import { normalizePath } from './normalize-path.js';
import { splitOriginalUrl, type OriginalUrl } from './original-url.js';

/**
 * The request the gateway is asking about, normalized from whichever protocol carried it:
 * nginx auth_request (X-Original-URI / X-Original-Method, set by our example config, or
 * ingress-nginx's X-Original-URL) or ForwardAuth as Traefik and Caddy send it
 * (X-Forwarded-Method / -Proto / -Host / -Uri), or Envoy's ext_authz (the check request's own
 * method, path and host, or its gRPC attributes), or NGINX Gateway Fabric's ExternalAuth
 * ('ext-authz-nginx': an nginx auth_request with the original in Method / Path headers).
 */
export interface OriginalRequest {
  protocol: 'nginx' | 'forward-auth' | 'ext-authz' | 'ext-authz-nginx' | 'direct';
  method: string;
  proto: 'http' | 'https';
  /** Canonical: lower case, no trailing dot, the port only when one was given. */
  host: string;
  /** Path and query as the client sent them (the path checked by normalizePath). */
  uri: string;
  /** The path alone, for matching and logs. */
  path: string;
}

type HeaderReader = (name: string) => string | undefined;

const METHOD = /^[A-Z][A-Z-]{0,19}$/;
// Raw UTF-8 bytes arrive as latin1 from nginx's $request_uri; only controls and spaces are refused.
const URI = /^\/[^\x00-\x20\x7f]{0,8191}$/;
const PORT = /^[1-9][0-9]{0,4}$/;
// Traefik says ws/wss for WebSocket upgrades.
const PROTO = new Map<string, OriginalRequest['proto']>([['http', 'http'], ['https', 'https'], ['ws', 'http'], ['wss', 'https']]);

/** A Host value in the one spelling rules compare (see canonicalHostname), or undefined if invalid. */
export function canonicalHost(host: string): string | undefined {
  const colon = host.startsWith('[') ? host.indexOf(':', host.indexOf(']')) : host.indexOf(':');
  const name = canonicalHostname(colon === -1 ? host : host.slice(0, colon));
  if (name === undefined || colon === -1) return name;
  const port = host.slice(colon + 1);
  return PORT.test(port) && Number(port) <= 65535 ? `${name}:${port}` : undefined;
}

/** A canonical host without its port: what allow-lists compare. */
export function hostnameOf(host: string): string {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.lastIndexOf(':');
  const name = end > 0 ? host.slice(0, end) : host;
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function malformed(what: string): Denial {
  return new Denial('request_malformed', `${what} header is not valid`);
}

/** The original request's parts as a protocol carried them, before any check. */
export interface OriginalRequestParts {
  method: string;
  /** As sent: a Host value, port included when given. */
  host: string;
  /** Path and query. */
  uri: string;
  proto: 'http' | 'https';
}

/**
 * The one validation every protocol's original request goes through: method upper-cased,
 * host canonicalized, path checked to read the same to every common router; anything else
 * is refused with request_malformed, never guessed.
 */
export function canonicalOriginalRequest(protocol: OriginalRequest['protocol'], parts: OriginalRequestParts): OriginalRequest {
  const method = parts.method.toUpperCase();
  if (!METHOD.test(method)) throw malformed('method');
  const host = canonicalHost(parts.host);
  if (host === undefined) throw malformed('host');
  const { uri } = parts;
  if (!URI.test(uri)) throw malformed('uri');
  const queryAt = uri.indexOf('?');
  const path = queryAt === -1 ? uri : uri.slice(0, queryAt);
  // Every request, not only those a policy rule looks at: the gateway chose the location (and
  // its auth URL query) by its own reading of the path, which must be the app's too.
  normalizePath(path);
  return { protocol, method, proto: parts.proto, host, uri, path };
}

/**
 * The value of a header the gateway sets once. Node joins repeated headers with ", ", so a
 * client's copy that the gateway appended to, instead of replacing, shows up as a list: copies
 * that disagree are refused, never guessed between (nginx, Traefik and Caddy as shipped replace
 * the client's X-Forwarded-Host / -Proto / X-Original-Host; see the README, ForwardAuth).
 */
function single(value: string | undefined, what: string): string | undefined {
  if (value === undefined || !value.includes(',')) return value;
  const [first, ...others] = value.split(',').map((part) => part.trim());
  if (others.some((other) => other !== first)) throw malformed(`${what} (several different values)`);
  return first;
}

/**
 * Which headers describe the original request. `auto` guesses per request, which is only
 * safe when the gateway removes the other protocol's headers sent by the client (the shipped
 * Caddy and Traefik configs do); pinning the gateway makes that guess impossible to steer.
 */
export type GatewayProtocol = 'auto' | 'nginx' | 'forward-auth';

// Our nginx config sends X-Original-URI; ingress-nginx sends X-Original-URL on its own.
const nginxSent = (header: HeaderReader) => header('x-original-uri') !== undefined || header('x-original-url') !== undefined;

function detectProtocol(header: HeaderReader, gateway: GatewayProtocol): OriginalRequest['protocol'] {
  if (gateway === 'nginx') {
    if (!nginxSent(header)) throw new Denial('request_malformed', 'X-Original-URI (or X-Original-URL) is missing (GATEWAY=nginx)');
    return 'nginx';
  }
  if (gateway === 'forward-auth') {
    if (header('x-forwarded-uri') === undefined) throw new Denial('request_malformed', 'X-Forwarded-Uri is missing (GATEWAY=forward-auth)');
    return 'forward-auth';
  }
  if (nginxSent(header)) return 'nginx';
  return header('x-forwarded-uri') !== undefined || header('x-forwarded-method') !== undefined ? 'forward-auth' : 'direct';
}

/**
 * ingress-nginx's own X-Original-URL (`$scheme://$http_host$request_uri`), when sent. Where
 * our config's headers describe the same parts they must agree: a copy the client sent and
 * the gateway did not replace is refused, never chosen between.
 */
function originalUrl(header: HeaderReader): OriginalUrl | undefined {
  const value = header('x-original-url');
  if (value === undefined) return undefined;
  const url = splitOriginalUrl(value);
  if (url === undefined) throw malformed('X-Original-URL');
  const uri = header('x-original-uri');
  if (uri !== undefined && uri !== url.uri) throw malformed('X-Original-URI (not the one in X-Original-URL)');
  const host = single(header('x-original-host'), 'X-Original-Host');
  // $host carries no port where $http_host may: the names must agree.
  if (host !== undefined && hostnameOf(canonicalHost(host) ?? '') !== hostnameOf(canonicalHost(url.host) ?? '-')) {
    throw malformed('X-Original-Host (not the one in X-Original-URL)');
  }
  const proto = single(header('x-forwarded-proto'), 'X-Forwarded-Proto');
  if (proto !== undefined && PROTO.get(proto.toLowerCase()) !== url.proto) throw malformed('X-Forwarded-Proto (not the scheme of X-Original-URL)');
  return url;
}

/** Reads the original request; a header that is present but malformed is a 401, never a guess. */
export function readOriginalRequest(header: HeaderReader, gateway: GatewayProtocol = 'auto'): OriginalRequest {
  const protocol = detectProtocol(header, gateway);
  const url = protocol === 'nginx' ? originalUrl(header) : undefined;
  const method = (protocol === 'nginx' ? header('x-original-method') : header('x-forwarded-method')) ?? 'GET';
  // A repeated Host (a request smuggling smell) stays refused, even with equal copies.
  const forwardedHost = single(protocol === 'nginx' ? header('x-original-host') : header('x-forwarded-host'), 'forwarded host');
  const host = url?.host ?? forwardedHost ?? header('host') ?? '';
  const uri = url?.uri ?? (protocol === 'nginx' ? header('x-original-uri') : protocol === 'forward-auth' ? header('x-forwarded-uri') : undefined) ?? '/';
  const forwardedProto = url?.proto ?? single(header('x-forwarded-proto'), 'X-Forwarded-Proto')?.toLowerCase();
  const proto = forwardedProto ? PROTO.get(forwardedProto) : protocol === 'direct' ? 'http' : 'https';
  if (proto === undefined) throw malformed('X-Forwarded-Proto');
  return canonicalOriginalRequest(protocol, { method, host, uri, proto });
}
