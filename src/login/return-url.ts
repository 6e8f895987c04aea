import { createHostTest } from '../host-patterns.js';
import type { OriginalRequest } from '../original-request.js';

/**
 * The only URLs a browser is ever sent back to after login: absolute http(s) URLs on an
 * allowed host, without userinfo. Everything that browsers or URL parsers might read
 * differently (backslashes, control characters, whitespace, `https:host` without slashes)
 * is refused before parsing, so what is checked is what the browser will follow.
 */
export interface ReturnUrlPolicy {
  /** The request's own URL, if it may be returned to. */
  forRequest(request: OriginalRequest): string | undefined;
  /** A return URL read back from the browser (the state), normalized, if it is allowed. */
  check(candidate: string): string | undefined;
}

const MAX_RETURN_URL = 2048;
const PLAIN = /^https?:\/\/[\x21-\x5b\x5d-\x7e]+$/i;

export function createReturnUrlPolicy(allowedHosts: readonly string[]): ReturnUrlPolicy {
  const hostAllowed = createHostTest(allowedHosts);

  function check(candidate: string): string | undefined {
    if (candidate.length > MAX_RETURN_URL || !PLAIN.test(candidate)) return undefined;
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    if (url.username || url.password || !hostAllowed(url.hostname)) return undefined;
    return url.href;
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
