import { Denial } from './errors.js';

/**
 * The request the gateway is asking about, normalized from whichever protocol carried it:
 * nginx auth_request (X-Original-URI / X-Original-Method, set by our example config) or
 * ForwardAuth as Traefik and Caddy send it (X-Forwarded-Method / -Proto / -Host / -Uri).
 */
export interface OriginalRequest {
  protocol: 'nginx' | 'forward-auth' | 'direct';
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

function malformed(what: string): Denial {
  return new Denial('request_malformed', `${what} header is not valid`);
}

/** Reads the original request; a header that is present but malformed is a 401, never a guess. */
export function readOriginalRequest(header: HeaderReader): OriginalRequest {
  const nginxUri = header('x-original-uri');
  const forwardedUri = header('x-forwarded-uri');
  const protocol = nginxUri !== undefined ? 'nginx' : forwardedUri !== undefined || header('x-forwarded-method') !== undefined ? 'forward-auth' : 'direct';

  const method = (protocol === 'nginx' ? header('x-original-method') : header('x-forwarded-method')) ?? 'GET';
  const upperMethod = method.toUpperCase();
  if (!METHOD.test(upperMethod)) throw malformed('method');

  const rawHost = (protocol === 'nginx' ? header('x-original-host') : header('x-forwarded-host')) ?? header('host') ?? '';
  const host = rawHost.split(',')[0]!.trim().toLowerCase();
  if (!HOST.test(host)) throw malformed('host');

  const uri = (protocol === 'nginx' ? nginxUri : forwardedUri) ?? '/';
  if (!URI.test(uri)) throw malformed('uri');

  const forwardedProto = header('x-forwarded-proto')?.split(',')[0]!.trim().toLowerCase();
  const proto = forwardedProto === 'http' ? 'http' : forwardedProto === 'https' ? 'https' : protocol === 'direct' ? 'http' : 'https';

  const queryAt = uri.indexOf('?');
  return { protocol, method: upperMethod, proto, host, uri, path: queryAt === -1 ? uri : uri.slice(0, queryAt) };
}
