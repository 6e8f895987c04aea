import type { Credentials } from '../credentials/credentials.js';
import type { Identity } from '../identity/identity.js';

/** What Authgear's resolver said about a set of credentials. */
export type ResolverAnswer =
  | { valid: true; identity: Identity }
  /** setCookies: the resolver's Set-Cookie lines that clear a dead session, for the browser. */
  | { valid: false; setCookies: readonly string[] };

export interface Resolution {
  answer: ResolverAnswer;
  /** The resolver failed and this is the last valid answer, past its TTL. */
  stale: boolean;
  /** Where the answer was kept: in process, in Redis, or nowhere (Authgear answered this request). */
  cache: 'memory' | 'redis' | 'none';
}

/**
 * Sessions and opaque tokens, judged by Authgear's resolver (src/resolver/ is the
 * implementation: its client, caches and sharing). The decision knows only this.
 */
export interface SessionResolver {
  /**
   * A fresh answer already held in process comes back at once; otherwise a cache, then
   * Authgear. Rejects with Denial resolver_unavailable when nobody can answer.
   */
  resolve(credentials: Credentials): Resolution | Promise<Resolution>;
}
