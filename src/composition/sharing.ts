import type { JsonWebKeySet } from '../oidc/key-set.js';
import type { Config } from '../config/load-config.js';
import type { Tracing } from '../observability/tracing/tracing.js';
import { ConfigError } from '../errors.js';
import { describeError, type Logger } from '../observability/logging.js';
import type { KeySetLoadReason } from '../oidc/key-store.js';
import { shareKeySetLoads } from '../oidc/shared-key-set.js';
import type { Cache, CacheObserver, SharedCacheName } from '../cache/cache.js';
import { createMemoryCache } from '../cache/memory-cache.js';
import { hasRedis, type RedisTopology } from '../cache/redis-topology.js';
import type { CommandTracing } from '../cache/redis-cache.js';
import { createSignedCache } from '../cache/signed-cache.js';

type KeySetLoader = (reason: KeySetLoadReason) => Promise<JsonWebKeySet>;

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

export interface SharingOptions {
  /** Where Redis is; nothing set: the in-process cache (the embedded default). */
  redis: Omit<RedisTopology, 'connectTimeoutMs'>;
  /** Prepended to every key, so several services can share one Redis. */
  redisKeyPrefix: string;
  /** Budget of one Redis command. */
  redisTimeoutMs: number;
  /** How long opening the connection may take. */
  redisConnectTimeoutMs: number;
  /** Signs and checks every shared entry; the previous secret is only read, during a rotation. */
  hmacSecret: string | undefined;
  hmacPreviousSecret: string | undefined;
  /** Entries of the in-process cache, when there is no Redis. */
  memoryMaxEntries: number;
  /** How the key set is shared between replicas. */
  keySet: { key: string; reuseForMs: number; keepForMs: number; waitForPeerMs: number };
}

/**
 * Redis when a topology is configured, otherwise the in-process cache (the embedded default).
 * ioredis is imported only then: a sidecar without Redis never loads it (about 8 MB).
 */
async function createSharedCache(options: SharingOptions, observer: CacheObserver, tracing: CommandTracing | undefined): Promise<Cache> {
  const { redis } = options;
  if (!hasRedis(redis)) return createMemoryCache({ maxEntries: options.memoryMaxEntries });
  const [{ createRedisClient }, { createRedisCache }] = await Promise.all([import('../cache/redis-client.js'), import('../cache/redis-cache.js')]);
  const connectTimeoutMs = options.redisConnectTimeoutMs;
  return createRedisCache({
    client: createRedisClient({ ...redis, connectTimeoutMs })!,
    keyPrefix: options.redisKeyPrefix,
    timeoutMs: options.redisTimeoutMs,
    connectTimeoutMs,
    ...(observer.onRedisError ? { onError: observer.onRedisError } : {}),
    ...(observer.onRedisState ? { onState: observer.onRedisState } : {}),
    ...(tracing ? { tracing } : {}),
  });
}

export async function createSharing(options: SharingOptions, deps: { logger: Logger; now: () => number; observer?: CacheObserver; tracing?: CommandTracing }): Promise<Sharing> {
  const { logger, now } = deps;
  const observer: CacheObserver = deps.observer ?? {};
  const store = await createSharedCache(options, observer, deps.tracing);
  const remote = store.kind === 'redis';
  const secret = options.hmacSecret;
  // The configuration refuses this already; hand-made options must not share unsigned either.
  if (remote && !secret) throw new ConfigError(['REDIS_HMAC_SECRET: required with Redis']);
  const signed = (purpose: SharedCacheName, rememberKeys: number): Cache =>
    !remote
      ? store
      : createSignedCache(store, {
          secret: secret!,
          previousSecret: options.hmacPreviousSecret,
          purpose,
          rememberKeys,
          onRejected: (reason) => observer.onEntryRejected?.(purpose, reason),
        });
  // Sessions in use keep their Redis key and last verified answer; a project has one key set.
  const cache = signed('resolver', Math.min(options.memoryMaxEntries, 10_000));
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
            ...options.keySet,
            now,
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

/** What replicas share (Redis, or nothing beyond the process), from the settings that say how. */
export function composeSharing(config: Config, deps: { logger: Logger; now: () => number; observer: CacheObserver; tracing: Tracing | undefined }): Promise<Sharing> {
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
      redisConnectTimeoutMs: config.derived.redisConnectTimeoutMs,
      keySet: config.derived.keySetSharing,
    },
    { logger: deps.logger, now: deps.now, observer: deps.observer, tracing: deps.tracing?.redis },
  );
}
