import type { JSONWebKeySet } from 'jose';
import type { Config } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { describeError, type Logger } from '../observability/logging.js';
import type { KeySetLoadReason } from '../oidc/key-store.js';
import { shareKeySetLoads } from '../oidc/shared-key-set.js';
import type { Cache, CacheObserver, SharedCacheName } from './cache.js';
import { createMemoryCache } from './memory-cache.js';
import { createRedisCache } from './redis-cache.js';
import { createRedisClient } from './redis-client.js';
import { createSignedCache } from './signed-cache.js';

type KeySetLoader = (reason: KeySetLoadReason) => Promise<JSONWebKeySet>;

/** What replicas share: through Redis when one is configured, else nothing leaves the process. */
export interface Sharing {
  /** Where resolver answers are shared; with Redis, every entry is signed (see signed-cache). */
  cache: Cache;
  /** The caller's observer. */
  observer: CacheObserver;
  /** The key store's loader: as given in process, one fetch for all replicas with Redis. */
  keySetLoader(fetch: KeySetLoader): KeySetLoader;
  /** /readyz entries: Redis's state, which never makes the service unready. */
  checks(): Promise<Record<string, string>>;
  /** Opens the Redis connection (bounded), so the first key load can come from a peer. */
  connect(): Promise<void>;
  close(): Promise<void>;
}

/** Redis when a topology is configured, otherwise the in-process cache (the embedded default). */
function createSharedCache(config: Config, observer: CacheObserver): Cache {
  const connectTimeoutMs = Math.max(1000, config.redisTimeoutMs * 4);
  const client = createRedisClient({
    url: config.redisUrl,
    sentinelUrls: config.redisSentinelUrls,
    sentinelMaster: config.redisSentinelMaster,
    sentinelPassword: config.redisSentinelPassword,
    clusterUrls: config.redisClusterUrls,
    username: config.redisUsername,
    password: config.redisPassword,
    connectTimeoutMs,
  });
  if (!client) return createMemoryCache({ maxEntries: config.resolverCacheMaxEntries });
  return createRedisCache({
    client,
    keyPrefix: config.redisKeyPrefix,
    timeoutMs: config.redisTimeoutMs,
    connectTimeoutMs,
    ...(observer.onRedisError ? { onError: observer.onRedisError } : {}),
    ...(observer.onRedisState ? { onState: observer.onRedisState } : {}),
  });
}

export function createSharing(config: Config, deps: { logger: Logger; now: () => number; observer?: CacheObserver }): Sharing {
  const { logger, now } = deps;
  const observer: CacheObserver = deps.observer ?? {};
  const store = createSharedCache(config, observer);
  const remote = store.kind === 'redis';
  const secret = config.redisHmacSecret;
  // The configuration refuses this already; a hand-made Config must not share unsigned either.
  if (remote && !secret) throw new ConfigError(['REDIS_HMAC_SECRET: required with Redis']);
  const signed = (purpose: SharedCacheName, rememberKeys: number): Cache =>
    !remote
      ? store
      : createSignedCache(store, {
          secret: secret!,
          previousSecret: config.redisHmacPreviousSecret,
          purpose,
          rememberKeys,
          onRejected: (reason) => observer.onEntryRejected?.(purpose, reason),
        });
  // Sessions in use keep their Redis key and last verified answer; a project has one key set.
  const cache = signed('resolver', Math.min(config.resolverCacheMaxEntries, 10_000));
  const keySets = signed('keys', 16);

  return {
    cache,
    observer,
    keySetLoader: (fetch) =>
      !remote
        ? fetch
        : shareKeySetLoads({
            load: fetch,
            cache: keySets,
            key: `jwks:${config.authgearEndpoint}`,
            now,
            reuseForMs: (config.jwksRefreshSeconds * 1000) / 2,
            keepForMs: config.jwksRefreshSeconds * 1000 * 12,
            waitForPeerMs: config.upstreamTimeoutMs * 2 + 1000,
            observer,
          }),
    async checks(): Promise<Record<string, string>> {
      if (!remote) return {};
      const state = await cache.ping().then(() => 'ok', (error: unknown) => `unavailable: ${describeError(error)?.message ?? 'unknown error'}`);
      return { redis: state };
    },
    async connect() {
      if (remote) await cache.ping().catch((error: unknown) => logger.warn({ error: describeError(error) }, 'redis is not reachable yet'));
    },
    close: () => cache.close(),
  };
}
