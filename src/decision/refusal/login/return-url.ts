import { canonicalHostname, createHostTest } from '../../request/host-patterns.js';
import type { OriginalRequest } from '../../request/original-request.js';

/**
 * The only URLs a browser is ever sent back to after login: absolute http(s) URLs on an
 * allowed host, without userinfo. The URL is parsed as a browser parses it (WHATWG: `\` is
 * `/`, tabs and newlines vanish) and what is returned is its serialization, so the URL that
 * was checked is exactly the one the browser follows.
 */
export interface ReturnUrlPolicy {
  /** The request's own URL, if it may be returned to. */
  forRequest(request: OriginalRequest): string | undefined;
  /** A return URL read back from the browser (the state), normalized, if it is allowed. */
  check(candidate: string): string | undefined;
}

const MAX_RETURN_URL = 2048;

export function createReturnUrlPolicy(allowedHosts: readonly string[]): ReturnUrlPolicy {
  const hostAllowed = createHostTest(allowedHosts);

  function check(candidate: string): string | undefined {
    const url = URL.canParse(candidate) ? new URL(candidate) : undefined;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
    if (url.username || url.password) return undefined;
    // Only a host in its canonical spelling: WHATWG keeps a trailing dot and empty labels
    // (`app.example.com.`, `evil..example.com`), which a suffix test could take for allowed.
    if (canonicalHostname(url.hostname) !== url.hostname || !hostAllowed(url.hostname)) return undefined;
    return url.href.length > MAX_RETURN_URL ? undefined : url.href;
  }

  return {
    check,
    forRequest(request) {
      const origin = `${request.proto}://${request.host}`;
      // A very long URL would make an unwieldy state: come back to the site's root instead.
      return check(origin + request.uri) ?? check(`${origin}/`);
    },
  };
}
