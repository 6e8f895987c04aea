import type { Cache, CacheObserver } from '../../../cache/cache.js';
import type { Config } from '../../../config/load-config.js';
import { AUTHGEAR_COOKIES } from '../../credentials/credentials.js';
import { createUpstreamClient, type UpstreamObserver } from '../../../upstream/http-client.js';
import { createCachedResolver, type CachedResolver } from './cached-resolver.js';
import { createResolverClient } from './resolver-client.js';

/** Authgear's resolver behind the caches, with its own keep-alive client and short timeout. */
export function createSessions(
  config: Config,
  deps: { shared: Cache; now: () => number; observer?: CacheObserver; upstreamObserver?: UpstreamObserver },
): CachedResolver & { close(): void } {
  const client = createUpstreamClient({
    baseUrl: config.resolverUrl ?? config.authgearInternalUrl ?? config.authgearEndpoint,
    publicOrigin: config.authgearEndpoint,
    timeoutMs: config.resolverTimeoutMs,
    maxInFlight: config.upstreamMaxInFlight,
    maxQueued: config.upstreamMaxQueued,
    ...(deps.upstreamObserver ? { observer: deps.upstreamObserver } : {}),
  });
  const resolver = createCachedResolver({
    resolver: createResolverClient({ client, cookieNames: AUTHGEAR_COOKIES.map((name) => config.cookiePrefix + name) }),
    shared: deps.shared,
    namespace: config.authgearEndpoint,
    positiveTtlMs: config.resolverPositiveTtlSeconds * 1000,
    negativeTtlMs: config.resolverNegativeTtlSeconds * 1000,
    localTtlMs: config.resolverLocalTtlSeconds * 1000,
    localMaxEntries: config.resolverCacheMaxEntries,
    serveStaleMs: config.resolverServeStaleSeconds * 1000,
    now: deps.now,
    ...(deps.observer ? { observer: deps.observer } : {}),
  });
  return { ...resolver, close: () => client.close() };
}
