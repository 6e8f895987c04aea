import { Denial } from '../outcome.js';
import type { HeaderLookup } from './header-reader.js';
import type { OriginalRequest } from './original-request.js';

/**
 * Headers with which app frameworks let a client name another method than the request's:
 * Express's method-override (X-HTTP-Method-Override), OData (X-HTTP-Method), and
 * X-Method-Override. The gateway passes them to the app, so the sidecar judges every method
 * they can mean.
 */
export const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const;

/**
 * The parameter Laravel, Symfony and Spring's HiddenHttpMethodFilter read as the method of a
 * POST (Rails reads it from a form body, which no gateway shows us: docs/security.md).
 */
export const METHOD_OVERRIDE_PARAMETER = '_method';

// What a method override may name: an HTTP method token (RFC 9110), as the original method.
const METHOD = /^[A-Z][A-Z-]{0,19}$/;

function checkedMethod(value: string, where: string): string | undefined {
  const method = value.trim().toUpperCase();
  if (method === '') return undefined;
  if (!METHOD.test(method)) throw new Denial('request_malformed', `${where} names no HTTP method`);
  return method;
}

/**
 * PHP turns `.`, ` ` and `[` in a parameter name into `_` (and drops leading spaces), so
 * `?.method=DELETE` is `_method` to Laravel and Symfony.
 */
const parameterAsPhpReadsIt = (name: string) => name.replace(/^ +/, '').replace(/[. []/g, '_');

/** The methods the query's `_method` parameters name (each copy counts). */
function queryOverrides(request: OriginalRequest): string[] {
  const queryAt = request.uri.indexOf('?');
  const methods: string[] = [];
  // Every spelling of the name contains "method": no parse for the common query.
  if (queryAt === -1 || !request.uri.includes('method', queryAt)) return methods;
  for (const [name, value] of new URLSearchParams(request.uri.slice(queryAt + 1))) {
    if (parameterAsPhpReadsIt(name) !== METHOD_OVERRIDE_PARAMETER) continue;
    const method = checkedMethod(value, `the ${METHOD_OVERRIDE_PARAMETER} parameter`);
    if (method !== undefined) methods.push(method);
  }
  return methods;
}

/**
 * Every method other than the request's own that the app may take it for, through an override
 * header (each copy, each comma-separated value) or a `_method` query parameter; [] for a
 * plain request. An override naming no method is refused (request_malformed): the app would
 * do something, and the sidecar cannot say what.
 */
export function overriddenMethods(request: OriginalRequest, header: HeaderLookup, headersSent: boolean): readonly string[] {
  const methods = queryOverrides(request);
  if (headersSent) {
    for (const name of METHOD_OVERRIDE_HEADERS) {
      for (const part of header(name)?.split(',') ?? []) {
        const method = checkedMethod(part, name);
        if (method !== undefined) methods.push(method);
      }
    }
  }
  return methods.length === 0 ? NONE : [...new Set(methods)].filter((method) => method !== request.method);
}

const NONE: readonly string[] = Object.freeze([]);
