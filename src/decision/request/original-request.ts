import { Denial } from '../outcome.js';

/**
 * The request the gateway is asking about, normalized from whichever protocol carried it:
 * nginx auth_request (X-Original-URI / X-Original-Method, set by our example config) or
 * ForwardAuth as Traefik and Caddy send it (X-Forwarded-Method / -Proto / -Host / -Uri), or
 * Envoy's ext_authz (the check request's own method, path and host, or its gRPC attributes).
 */
export interface OriginalRequest {
  protocol: 'nginx' | 'forward-auth' | 'ext-authz' | 'direct';
  method: string;
  proto: 'http' | 'https';
  host: string;
  /** Path and query as the client sent them. */
  uri: string;
  /** The path alone, for matching and logs. */
  path: string;
}

type HeaderReader = (name: string) => string | undefined;

const METHOD = /^[A-Z][A-Z-]{0,19}$/;
const HOST = /^[a-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9a-f:.]{2,45}\](:\d{1,5})?$/;
// Raw UTF-8 bytes arrive as latin1 from nginx's $request_uri; only controls and spaces are refused.
const URI = /^\/[^\x00-\x20\x7f]{0,8191}$/;

/** A Host value without its port (and without a trailing dot): what allow-lists compare. */
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
  host: string;
  /** Path and query. */
  uri: string;
  proto: 'http' | 'https';
}

/**
 * The one validation every protocol's original request goes through: method, host and
 * path-and-query canonicalized (upper-case method, lower-case host) or refused with
 * request_malformed, never guessed.
 */
export function canonicalOriginalRequest(protocol: OriginalRequest['protocol'], parts: OriginalRequestParts): OriginalRequest {
  const method = parts.method.toUpperCase();
  if (!METHOD.test(method)) throw malformed('method');
  const host = parts.host.toLowerCase();
  if (!HOST.test(host)) throw malformed('host');
  const { uri } = parts;
  if (!URI.test(uri)) throw malformed('uri');
  const queryAt = uri.indexOf('?');
  return { protocol, method, proto: parts.proto, host, uri, path: queryAt === -1 ? uri : uri.slice(0, queryAt) };
}

/**
 * Which headers describe the original request. `auto` guesses per request, which is only
 * safe when the gateway removes the other protocol's headers sent by the client (the shipped
 * Caddy and Traefik configs do); pinning the gateway makes that guess impossible to steer.
 */
export type GatewayProtocol = 'auto' | 'nginx' | 'forward-auth';

function detectProtocol(header: HeaderReader, gateway: GatewayProtocol): OriginalRequest['protocol'] {
  if (gateway === 'nginx') {
    if (header('x-original-uri') === undefined) throw new Denial('request_malformed', 'X-Original-URI is missing (GATEWAY=nginx)');
    return 'nginx';
  }
  if (gateway === 'forward-auth') {
    if (header('x-forwarded-uri') === undefined) throw new Denial('request_malformed', 'X-Forwarded-Uri is missing (GATEWAY=forward-auth)');
    return 'forward-auth';
  }
  if (header('x-original-uri') !== undefined) return 'nginx';
  return header('x-forwarded-uri') !== undefined || header('x-forwarded-method') !== undefined ? 'forward-auth' : 'direct';
}

/** Reads the original request; a header that is present but malformed is a 401, never a guess. */
export function readOriginalRequest(header: HeaderReader, gateway: GatewayProtocol = 'auto'): OriginalRequest {
  const protocol = detectProtocol(header, gateway);
  const nginxUri = protocol === 'nginx' ? header('x-original-uri') : undefined;
  const forwardedUri = protocol === 'forward-auth' ? header('x-forwarded-uri') : undefined;

  const method = (protocol === 'nginx' ? header('x-original-method') : header('x-forwarded-method')) ?? 'GET';
  const rawHost = (protocol === 'nginx' ? header('x-original-host') : header('x-forwarded-host')) ?? header('host') ?? '';
  const uri = (protocol === 'nginx' ? nginxUri : forwardedUri) ?? '/';
  const forwardedProto = header('x-forwarded-proto')?.split(',')[0]!.trim().toLowerCase();
  const proto = forwardedProto === 'http' ? 'http' : forwardedProto === 'https' ? 'https' : protocol === 'direct' ? 'http' : 'https';
  return canonicalOriginalRequest(protocol, { method, host: rawHost.split(',')[0]!.trim(), uri, proto });
}
