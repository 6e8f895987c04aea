import type { Config } from '../config.js';
import type { Cache, CacheObserver } from './cache.js';
import { createMemoryCache } from './memory-cache.js';
import { createRedisCache } from './redis-cache.js';
import { createRedisClient } from './redis-client.js';

/** Redis when a topology is configured, otherwise the in-process cache (the embedded default). */
export function createSharedCache(config: Config, observer: CacheObserver = {}): Cache {
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
  });
}
