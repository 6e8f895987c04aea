/** The parts of an absolute `http(s)` URL the original request is described by, still unchecked. */
export interface OriginalUrl {
  proto: 'http' | 'https';
  /** The authority, port included when the client gave one. */
  host: string;
  /** Path and query. */
  uri: string;
}

// $scheme://$http_host$request_uri. The authority is whatever precedes the first `/` (a `?`
// or `#` there leaves no path, which is refused); a comma in it would make two hosts of one.
const ORIGINAL_URL = /^(https?):\/\/([^/?#,]*)(\/.*)$/is;

/**
 * Splits ingress-nginx's X-Original-URL (`$scheme://$http_host$request_uri`) into scheme,
 * host and path with query, without resolving or re-encoding anything: the parts are
 * validated like every other protocol's, by canonicalOriginalRequest. Undefined when the
 * value is not such a URL.
 */
export function splitOriginalUrl(value: string): OriginalUrl | undefined {
  const match = ORIGINAL_URL.exec(value);
  if (!match) return undefined;
  return { proto: match[1]!.toLowerCase() as OriginalUrl['proto'], host: match[2]!, uri: match[3]! };
}
