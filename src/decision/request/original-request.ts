import { Denial } from '../outcome.js';
import { canonicalHostname } from './host-patterns.js';
import { normalizePath } from './normalize-path.js';

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

const METHOD = /^[A-Z][A-Z-]{0,19}$/;
// Raw UTF-8 bytes arrive as latin1 from nginx's $request_uri; only controls and spaces are refused.
const URI = /^\/[^\x00-\x20\x7f]{0,8191}$/;
const PORT = /^[1-9][0-9]{0,4}$/;
// Traefik says ws/wss for WebSocket upgrades.
const PROTOS = new Map<string, OriginalRequest['proto']>([['http', 'http'], ['https', 'https'], ['ws', 'http'], ['wss', 'https']]);

/** The scheme a forwarded proto names (lower case), or undefined when it names none we serve. */
export const protoOf = (value: string): OriginalRequest['proto'] | undefined => PROTOS.get(value.toLowerCase());

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

/** A header that describes the original request is present but not valid: a 401, never a guess. */
export function malformed(what: string): Denial {
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
export function canonicalOriginalRequest<P extends OriginalRequest['protocol']>(protocol: P, parts: OriginalRequestParts): OriginalRequest & { protocol: P } {
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
