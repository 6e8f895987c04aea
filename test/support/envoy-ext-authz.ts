import { RawConnection, type RawAnswer } from './raw-connection.js';

export type CheckAnswer = RawAnswer;

/**
 * Envoy's HTTP ext_authz, as its source does it (source/extensions/filters/common/ext_authz/
 * ext_authz_http_impl.cc and filters/http/ext_authz/ext_authz.cc), since no Envoy binary can
 * run here. Gateway API's ExternalAuth filter (GEP-1494) with protocol HTTP is this very
 * filter in Envoy Gateway, Istio and kgateway: http.path is the path_prefix,
 * http.allowedHeaders the allowed_headers, http.allowedResponseHeaders the
 * allowed_upstream_headers.
 */
export interface EnvoyExtAuthz {
  /** path_prefix (GEP-1494 http.path). */
  pathPrefix: string;
  /** allowed_headers beyond the ones always sent (lower case, exact matchers). */
  allowedHeaders: readonly string[];
  /** allowed_upstream_headers (GEP-1494 allowedResponseHeaders), lower case. */
  allowedUpstreamHeaders: readonly string[];
}

/** The client's request as Envoy holds it: method, path with query, :authority, headers. */
export interface ClientRequest {
  method?: string;
  path: string;
  host: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * The check request's bytes: the ORIGINAL method, `<path_prefix><:path>`, and of the
 * client's headers only Host (:authority), Authorization and the allowed ones, plus
 * Content-Length (0 unless a body is forwarded). Envoy adds nothing else.
 */
export function checkRequestBytes(config: EnvoyExtAuthz, request: ClientRequest): Buffer {
  const body = Buffer.from(request.body ?? '');
  const lines = [`${request.method ?? 'GET'} ${config.pathPrefix}${request.path} HTTP/1.1`, `host: ${request.host}`, `content-length: ${body.length}`];
  const sent = new Set(['authorization', ...config.allowedHeaders]);
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (sent.has(name.toLowerCase()) && name.toLowerCase() !== 'content-length' && name.toLowerCase() !== 'host') lines.push(`${name.toLowerCase()}: ${value}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** What Envoy then does: the request that reaches the app, or the answer the client gets. */
export type EnvoyOutcome =
  | { allowed: true; upstreamHeaders: Record<string, string> }
  | { allowed: false; status: number; clientHeaders: Array<[string, string]> };

/**
 * Envoy's handling of the answer: only a 200 allows; a 5xx is an error (the client gets 403,
 * failure_mode_allow off); any other status goes to the client with the answer's headers
 * (allowed_client_headers unset: all but Host). On a 200 the allowed upstream headers are SET
 * from the answer (overwriting the client's), then those named in
 * x-envoy-auth-headers-to-remove are removed.
 */
export function envoyOutcome(config: EnvoyExtAuthz, request: ClientRequest, answer: CheckAnswer): EnvoyOutcome {
  if (answer.status >= 500) return { allowed: false, status: 403, clientHeaders: [] };
  if (answer.status !== 200) return { allowed: false, status: answer.status, clientHeaders: answer.headers.filter(([name]) => name !== 'host') };
  const upstream = Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  for (const [name, value] of answer.headers) if (config.allowedUpstreamHeaders.includes(name)) upstream[name] = value;
  for (const name of (answer.header('x-envoy-auth-headers-to-remove') ?? '').split(',')) delete upstream[name.trim()];
  return { allowed: true, upstreamHeaders: upstream };
}

/** A check on a fresh connection: sent, answered, closed. */
export async function check(port: number, config: EnvoyExtAuthz, request: ClientRequest): Promise<CheckAnswer> {
  const connection = new RawConnection(port);
  try {
    return await connection.send(checkRequestBytes(config, request));
  } finally {
    connection.close();
  }
}
