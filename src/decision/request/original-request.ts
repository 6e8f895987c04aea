import { Denial } from '../outcome.js';
import { splitOriginalUrl } from './original-url.js';

/**
 * The request the gateway is asking about, normalized from whichever protocol carried it:
 * nginx auth_request (X-Original-URI / X-Original-Method, set by our example config, or
 * ingress-nginx's X-Original-URL), ForwardAuth as Traefik and Caddy send it
 * (X-Forwarded-Method / -Proto / -Host / -Uri), or ext_authz over HTTP (gateways/): Envoy's,
 * whose check request line is the original one, and NGINX Gateway Fabric's, an nginx
 * auth_request with the original method and path in Method / Path headers.
 */
export interface OriginalRequest {
  protocol: 'nginx' | 'forward-auth' | 'direct' | 'ext-authz' | 'ext-authz-nginx';
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

/** The original request's parts as a protocol carries them, before any check. */
export interface OriginalRequestParts {
  /** Default GET. */
  method: string | undefined;
  host: string | undefined;
  /** Path and query; default `/`. */
  uri: string | undefined;
  /** X-Forwarded-Proto (or the like), when the gateway sent one. */
  proto: string | undefined;
}

/**
 * The one validation and canonicalization of an original request, whatever protocol
 * carried it: a part that is present but malformed is a 401, never a guess.
 */
export function canonicalOriginalRequest(protocol: OriginalRequest['protocol'], parts: OriginalRequestParts): OriginalRequest {
  const upperMethod = (parts.method ?? 'GET').toUpperCase();
  if (!METHOD.test(upperMethod)) throw malformed('method');

  const host = (parts.host ?? '').split(',')[0]!.trim().toLowerCase();
  if (!HOST.test(host)) throw malformed('host');

  const uri = parts.uri ?? '/';
  if (!URI.test(uri)) throw malformed('uri');

  const forwardedProto = parts.proto?.split(',')[0]!.trim().toLowerCase();
  const proto = forwardedProto === 'http' ? 'http' : forwardedProto === 'https' ? 'https' : protocol === 'direct' ? 'http' : 'https';

  const queryAt = uri.indexOf('?');
  return { protocol, method: upperMethod, proto, host, uri, path: queryAt === -1 ? uri : uri.slice(0, queryAt) };
}

/**
 * nginx's headers as our config sets them, or ingress-nginx's own X-Original-URL
 * (`$scheme://$http_host$request_uri`). Where both describe a part they must agree: a copy
 * the client sent and the gateway did not replace is refused, never chosen between.
 */
function nginxParts(header: HeaderReader): OriginalRequestParts {
  const parts = { method: header('x-original-method'), host: header('x-original-host') ?? header('host'), uri: header('x-original-uri'), proto: header('x-forwarded-proto') };
  const urlValue = header('x-original-url');
  if (urlValue === undefined) return parts;
  const url = splitOriginalUrl(urlValue);
  if (url === undefined) throw malformed('X-Original-URL');
  if (parts.uri !== undefined && parts.uri !== url.uri) throw malformed('X-Original-URI (not the one in X-Original-URL)');
  const originalHost = header('x-original-host');
  if (originalHost !== undefined && hostnameOf(originalHost.trim().toLowerCase()) !== hostnameOf(url.host.toLowerCase())) {
    throw malformed('X-Original-Host (not the one in X-Original-URL)');
  }
  if (parts.proto !== undefined && parts.proto.split(',')[0]!.trim().toLowerCase() !== url.proto) {
    throw malformed('X-Forwarded-Proto (not the scheme of X-Original-URL)');
  }
  return { method: parts.method, host: url.host, uri: url.uri, proto: url.proto };
}

/** Reads the original request from nginx's or ForwardAuth's headers (GATEWAY). */
export function readOriginalRequest(header: HeaderReader, gateway: GatewayProtocol = 'auto'): OriginalRequest {
  const protocol = detectProtocol(header, gateway);
  if (protocol === 'nginx') return canonicalOriginalRequest(protocol, nginxParts(header));
  return canonicalOriginalRequest(protocol, {
    method: header('x-forwarded-method'),
    host: header('x-forwarded-host') ?? header('host'),
    uri: protocol === 'forward-auth' ? header('x-forwarded-uri') : undefined,
    proto: header('x-forwarded-proto'),
  });
}
