import { Denial } from '../decision/outcome.js';
import type { HeaderLookup, HeaderReader } from '../decision/request/header-reader.js';
import { canonicalHost, canonicalOriginalRequest, hostnameOf, malformed, protoOf, type OriginalRequest } from '../decision/request/original-request.js';
import type { Exchange } from './exchange.js';
import { createHttpAnswers, type Answer, type HttpAnswers } from './http-answer.js';
import { splitOriginalUrl, type OriginalUrl } from './original-url.js';

// The /auth protocols: nginx auth_request (our config's X-Original-URI / -Method / -Host, or
// ingress-nginx's own X-Original-URL) and ForwardAuth (Traefik, Caddy: X-Forwarded-*). Each
// only says where the original request's parts are; canonicalOriginalRequest checks them.

/**
 * The value of a header the gateway sets once. Node joins repeated headers with ", ", so a
 * client's copy that the gateway appended to, instead of replacing, shows up as a list: copies
 * that disagree are refused, never guessed between (nginx, Traefik and Caddy as shipped replace
 * the client's X-Forwarded-Host / -Proto / X-Original-Host; see docs/gateways.md, ForwardAuth).
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
const nginxSent = (header: HeaderLookup) => header('x-original-uri') !== undefined || header('x-original-url') !== undefined;

/** The protocols that ask on /auth. */
export type AuthRequestProtocol = 'nginx' | 'forward-auth' | 'direct';

function detectProtocol(header: HeaderLookup, gateway: GatewayProtocol): AuthRequestProtocol {
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
function originalUrl(header: HeaderLookup): OriginalUrl | undefined {
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
  if (proto !== undefined && protoOf(proto) !== url.proto) throw malformed('X-Forwarded-Proto (not the scheme of X-Original-URL)');
  return url;
}

/** Reads the original request; a header that is present but malformed is a 401, never a guess. */
export function readOriginalRequest(header: HeaderLookup, gateway: GatewayProtocol = 'auto'): OriginalRequest & { protocol: AuthRequestProtocol } {
  const protocol = detectProtocol(header, gateway);
  const url = protocol === 'nginx' ? originalUrl(header) : undefined;
  const method = (protocol === 'nginx' ? header('x-original-method') : header('x-forwarded-method')) ?? 'GET';
  // A repeated Host (a request smuggling smell) stays refused, even with equal copies.
  const forwardedHost = single(protocol === 'nginx' ? header('x-original-host') : header('x-forwarded-host'), 'forwarded host');
  const host = url?.host ?? forwardedHost ?? header('host') ?? '';
  const uri = url?.uri ?? (protocol === 'nginx' ? header('x-original-uri') : protocol === 'forward-auth' ? header('x-forwarded-uri') : undefined) ?? '/';
  const forwardedProto = url?.proto ?? single(header('x-forwarded-proto'), 'X-Forwarded-Proto');
  const proto = forwardedProto ? protoOf(forwardedProto) : protocol === 'direct' ? 'http' : 'https';
  if (proto === undefined) throw malformed('X-Forwarded-Proto');
  return canonicalOriginalRequest(protocol, { method, host, uri, proto });
}

/** The /auth exchange of one request: its question, answered as the protocol it turned out to be. */
export type AuthRequestGateway = (header: HeaderReader, query: string) => Exchange<Answer>;

/**
 * nginx auth_request and ForwardAuth (Traefik, Caddy) on /auth. nginx takes only 2xx, 401
 * and 403 from the sidecar and passes no header of a 403, so a browser's login is a 401 with
 * the Location its config redirects to, and a 403's challenge travels in a header of its own;
 * ForwardAuth passes any answer to the client as it is. A question answered without gateway
 * headers (a direct call) is answered as nginx would want a redirect, without its 403 header;
 * one refused before its protocol was known likewise.
 */
export function createAuthRequestGateway(gateway: GatewayProtocol): AuthRequestGateway {
  const answersFor: Record<AuthRequestProtocol, HttpAnswers> = {
    nginx: createHttpAnswers({ redirectStatus: 401, forbiddenChallengeHeader: true }),
    'forward-auth': createHttpAnswers({ redirectStatus: 302, forbiddenChallengeHeader: false }),
    direct: createHttpAnswers({ redirectStatus: 401, forbiddenChallengeHeader: false }),
  };
  return function authRequestExchange(header, query) {
    let protocol: AuthRequestProtocol = 'direct';
    const readRequest = () => {
      const request = readOriginalRequest(header, gateway);
      protocol = request.protocol;
      return request;
    };
    return { question: { readRequest, header, query }, answer: (outcome) => answersFor[protocol](outcome) };
  };
}
