import type { CacheObserver } from '../cache/cache.js';
import { createSharing, type Sharing } from '../cache/sharing.js';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../observability/logging.js';

/** What replicas share (Redis, or nothing beyond the process), from the settings that say how. */
export function composeSharing(config: Config, deps: { logger: Logger; now: () => number; observer: CacheObserver }): Sharing {
  return createSharing(
    {
      redis: {
        url: config.redisUrl,
        sentinelUrls: config.redisSentinelUrls,
        sentinelMaster: config.redisSentinelMaster,
        sentinelPassword: config.redisSentinelPassword,
        clusterUrls: config.redisClusterUrls,
        username: config.redisUsername,
        password: config.redisPassword,
      },
      redisKeyPrefix: config.redisKeyPrefix,
      redisTimeoutMs: config.redisTimeoutMs,
      hmacSecret: config.redisHmacSecret,
      hmacPreviousSecret: config.redisHmacPreviousSecret,
      memoryMaxEntries: config.resolverCacheMaxEntries,
      keySet: {
        key: `jwks:${config.authgearEndpoint}`,
        // A start-up or refresh reuses a set a peer fetched within half the refresh interval;
        // a set stays shared long enough for a replica starting while Authgear is down.
        reuseForMs: (config.jwksRefreshSeconds * 1000) / 2,
        keepForMs: config.jwksRefreshSeconds * 1000 * 12,
        waitForPeerMs: config.upstreamTimeoutMs * 2 + 1000,
      },
    },
    deps,
  );
}
