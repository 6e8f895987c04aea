import { Denial } from '../../decision/outcome.js';
import type { AuthQuestion } from '../../decision/question.js';
import { canonicalOriginalRequest, type OriginalRequest } from '../../decision/request/original-request.js';
import { requestIdOf } from '../../decision/request/request-id.js';
import type { HeaderLookup } from '../../decision/request/header-reader.js';
import type { CheckRequest, HttpRequestAttributes } from './envoy-auth-messages.js';

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Copies of one header are joined as HTTP joins them; cookies, as HTTP/2 splits them, with `; `. */
const join = (name: string, first: string, next: string) => `${first}${name === 'cookie' ? '; ' : ', '}${next}`;

/**
 * The client's headers as Envoy sent them: the `headers` map (lower-case keys, copies already
 * joined), or with `encode_raw_headers` the `header_map` list, whose copies are joined here.
 * A Map, so no header name (`__proto__`, `constructor`) can ever reach an object's prototype.
 */
export function checkRequestHeaders(http: HttpRequestAttributes): Map<string, string> {
  const headers = new Map<string, string>();
  const list = http.header_map?.headers;
  if (list && list.length > 0) {
    for (const { key, value, raw_value } of list) {
      if (!key) continue;
      const name = key.toLowerCase();
      const text = raw_value && raw_value.length > 0 ? decoder.decode(raw_value) : (value ?? '');
      const seen = headers.get(name);
      headers.set(name, seen === undefined ? text : join(name, seen, text));
    }
    return headers;
  }
  for (const [key, value] of Object.entries(http.headers ?? {})) headers.set(key.toLowerCase(), value);
  return headers;
}

/** The header names as the CheckRequest carries them (the map's keys, or the raw list's). */
function* originalNames(http: HttpRequestAttributes | undefined): Iterable<string> {
  const list = http?.header_map?.headers;
  if (list && list.length > 0) {
    for (const { key } of list) if (key) yield key;
    return;
  }
  yield* Object.keys(http?.headers ?? {});
}

function protoOf(http: HttpRequestAttributes, header: HeaderLookup): 'http' | 'https' {
  const scheme = (http.scheme || header('x-forwarded-proto')?.split(',')[0]!.trim() || '').toLowerCase();
  // Unknown means https: a login return URL must never be downgraded by a missing field.
  return scheme === 'http' ? 'http' : 'https';
}

/** The original request a CheckRequest describes: its method, host and path-with-query, checked like every protocol's. */
export function checkedOriginalRequest(http: HttpRequestAttributes | undefined, header: HeaderLookup): OriginalRequest {
  if (!http) throw new Denial('request_malformed', 'CheckRequest has no attributes.request.http');
  return canonicalOriginalRequest('ext-authz', {
    method: http.method ?? '',
    host: http.host || header(':authority') || '',
    uri: http.path ?? '',
    proto: protoOf(http, header),
  });
}

/**
 * The gateway's question as a CheckRequest puts it (`undefined`: bytes that were no
 * CheckRequest): the same question nginx and ForwardAuth ask, with no auth URL query.
 */
export function checkRequestQuestion(request: CheckRequest | undefined): AuthQuestion {
  const http = request?.attributes?.request?.http;
  const headers = http ? checkRequestHeaders(http) : new Map<string, string>();
  // The client's X-Request-ID when one copy of it is a valid id, else the id Envoy gave the check.
  const header = (name: string) => (name === 'x-request-id' ? requestIdOf(headers.get(name)) ?? requestIdOf(http?.id || undefined) : headers.get(name));
  // Every name Envoy sent, as it sent them: `x_authgear_user_id` among them is forged (Envoy
  // forwards such names upstream by default, and CGI/WSGI/Rack apps read it as the identity).
  header.findName = (test: (name: string) => boolean) => {
    for (const name of originalNames(http)) if (test(name)) return name;
    return undefined;
  };
  return { readRequest: () => checkedOriginalRequest(http, header), header, query: '' };
}
