import type { Cache, CacheObserver } from '../cache/cache.js';
import { createUpstreamClient, type UpstreamClientOptions, type UpstreamObserver } from '../upstream/http-client.js';
import type { SessionResolver } from '../decision/authentication/session-resolver.js';
import { createCachedResolver, type CachedResolverOptions } from './cached-resolver.js';
import { createResolverClient } from './resolver-client.js';

export interface SessionsOptions {
  /** Where the resolver is reached, with what deadline and concurrency. */
  upstream: Omit<UpstreamClientOptions, 'observer'>;
  /** The Authgear cookie names (prefix applied): the only Set-Cookie lines passed back. */
  cookieNames: readonly string[];
  /** A role outside Authgear's grammar in an answer, ignored. */
  onRoleRefused?: (role: string) => void;
  /** How answers are kept: TTLs, serve-stale, the in-process tier. */
  caching: Omit<CachedResolverOptions, 'resolver' | 'shared' | 'now' | 'observer'>;
}

/** Authgear's resolver behind the caches, with its own keep-alive client and short timeout. */
export function createSessions(
  options: SessionsOptions,
  deps: { shared: Cache; now: () => number; observer?: CacheObserver; upstreamObserver?: UpstreamObserver },
): SessionResolver & { close(): void } {
  const client = createUpstreamClient({ ...options.upstream, ...(deps.upstreamObserver ? { observer: deps.upstreamObserver } : {}) });
  const resolver = createCachedResolver({
    ...options.caching,
    resolver: createResolverClient({ client, cookieNames: options.cookieNames, ...(options.onRoleRefused ? { onRoleRefused: options.onRoleRefused } : {}) }),
    shared: deps.shared,
    now: deps.now,
    ...(deps.observer ? { observer: deps.observer } : {}),
  });
  return { ...resolver, close: () => client.close() };
}
