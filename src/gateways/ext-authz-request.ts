import { Denial } from '../decision/outcome.js';
import { canonicalOriginalRequest, type OriginalRequest } from '../decision/request/original-request.js';
import type { HeaderLookup } from '../decision/request/header-reader.js';
import type { RequestTarget } from './request-target.js';

/** Reads an ext_authz HTTP check request as the original request it asks about. */
export type CheckRequestReader = (method: string | undefined, header: HeaderLookup, target: RequestTarget) => OriginalRequest;

/**
 * The check request in its two forms:
 * - Envoy's HTTP ext_authz (and so Envoy Gateway, Istio, kgateway: GEP-1494's ExternalAuth):
 *   the ORIGINAL method, `<prefix><original path and query>`, and the original Host;
 * - NGINX Gateway Fabric's ExternalAuth, an nginx auth_request: a GET of the filter's
 *   `http.path` alone, the original method and path in `Method` and `Path` headers (its
 *   subrequest sends no client header it did not name, so a client cannot add them).
 * A target that is exactly the prefix can only be the second form: Envoy's original path
 * always starts with `/`, so its targets are longer than the prefix. Either way the Host is
 * the original one, and X-Forwarded-Proto counts only when the gateway sends it (an allowed
 * header); otherwise the original request is taken as https.
 */
export function createCheckRequestReader(pathPrefix: string): CheckRequestReader {
  return function readCheckRequest(method, header, target) {
    const { pathAndQuery } = target;
    const headerPath = header('path');
    const headerMethod = header('method');
    const forwardedProto = header('x-forwarded-proto')?.split(',')[0]!.trim().toLowerCase();
    const parts = { host: header('host') ?? '', proto: forwardedProto === 'http' ? 'http' : 'https' } as const;

    if (pathPrefix !== '' && pathAndQuery === pathPrefix) {
      if (headerPath === undefined || headerMethod === undefined) {
        throw new Denial('request_malformed', `a check request for ${pathPrefix} itself needs Method and Path headers (NGINX Gateway Fabric's form)`);
      }
      return canonicalOriginalRequest('ext-authz-nginx', { ...parts, method: headerMethod, uri: headerPath });
    }
    if (!pathAndQuery.startsWith(pathPrefix) || pathAndQuery.charCodeAt(pathPrefix.length) !== 47 /* / */) {
      throw new Denial('path_outside_prefix', `check request path "${pathAndQuery.slice(0, 200)}" is not under EXT_AUTHZ_PATH_PREFIX "${pathPrefix}"`);
    }
    // Two descriptions of one request: never choose between them. NGINX Gateway Fabric sends
    // its headers with a target that is the prefix alone (set EXT_AUTHZ_PATH_PREFIX to its
    // http.path); through Envoy they are a client's, let through by allowed_headers.
    if (headerPath !== undefined || headerMethod !== undefined) {
      throw new Denial('request_malformed', `Method or Path header on a check request that carries the path itself (NGINX Gateway Fabric: set EXT_AUTHZ_PATH_PREFIX to its http.path)`);
    }
    return canonicalOriginalRequest('ext-authz', { ...parts, method: method ?? '', uri: pathAndQuery.slice(pathPrefix.length) });
  };
}
