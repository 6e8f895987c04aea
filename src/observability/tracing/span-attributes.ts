import type { DecisionEvent } from '../../decision/question.js';
import type { UpstreamName, UpstreamOutcome } from '../../upstream/http-client.js';

type Attributes = Record<string, string | number | boolean>;

/** Every span name the gate records. */
export const SPAN = {
  decide: 'authgear_gate.decide',
  upstream: (upstream: UpstreamName) => `authgear_gate.${upstream}`,
  redis: (operation: string) => `authgear_gate.redis.${operation}`,
} as const;

/**
 * What the decision span says: the gateway's protocol and the original request's method, host
 * and path (as the decision log line does), the outcome, its reason, the rule, who (their
 * kind) and from which cache. Never a token, a cookie, a query string or, unless
 * TRACE_USER_ID says so, who the user is.
 */
export function decisionAttributes(event: DecisionEvent, recordUserId: boolean): Attributes {
  const attributes: Attributes = {
    'authgear_gate.outcome': event.result,
    'authgear_gate.reason': event.code,
    'authgear_gate.cache': event.cache ?? 'none',
    'http.response.status_code': event.status,
  };
  const { request } = event;
  if (request) {
    attributes['authgear_gate.gateway'] = request.protocol;
    attributes['http.request.method'] = request.method;
    attributes['server.address'] = request.host;
    attributes['url.path'] = request.path;
    attributes['url.scheme'] = request.proto;
  }
  if (event.rule !== undefined) attributes['authgear_gate.rule'] = event.rule;
  if (event.principal !== undefined) attributes['authgear_gate.principal'] = event.principal;
  if (event.via !== undefined) attributes['authgear_gate.via'] = event.via;
  if (event.requestId !== undefined) attributes['authgear_gate.request_id'] = event.requestId;
  if (recordUserId && event.subject !== undefined) attributes['user.id'] = event.subject;
  return attributes;
}

/** A call to Authgear, as HTTP client spans describe one (the URL has no query: none is ever sent). */
export function callAttributes(call: { upstream: UpstreamName; method: string; url: string }): Attributes {
  const url = new URL(call.url);
  url.username = '';
  url.password = '';
  return {
    'http.request.method': call.method,
    'url.full': url.href,
    'server.address': url.hostname,
    'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
  };
}

/** How a call ended; `error` when it gave no usable answer. */
export function callStatus(outcome: UpstreamOutcome, status: number | undefined): { attributes: Attributes; error: boolean } {
  const attributes: Attributes = status === undefined ? {} : { 'http.response.status_code': status };
  if (outcome === 'success') return { attributes, error: false };
  attributes['error.type'] = outcome === 'http_error' && status !== undefined ? String(status) : outcome;
  return { attributes, error: true };
}

/** A Redis command, by the gate's name for it (`add` is SET NX); its key is never recorded. */
export function commandAttributes(operation: string): Attributes {
  const command = operation === 'add' ? 'SET' : operation.toUpperCase();
  return { 'db.system.name': 'redis', 'db.operation.name': command };
}
