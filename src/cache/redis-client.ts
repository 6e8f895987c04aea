import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTopology } from './redis-topology.js';

export type { RedisTopology } from './redis-topology.js';

export type RedisClient = Redis | Cluster;

const node = (url: string): { host: string; port: number } => {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
};

/**
 * Builds (but does not connect) the client for whichever topology is configured, or
 * undefined when none is. Commands never wait in an offline queue: while Redis is away a
 * request must fall back to Authgear at once, not queue behind a reconnect.
 */
export function createRedisClient(topology: RedisTopology): RedisClient | undefined {
  const credentials = {
    ...(topology.username ? { username: topology.username } : {}),
    ...(topology.password ? { password: topology.password } : {}),
  };
  const common: RedisOptions = {
    lazyConnect: true,
    // Commands issued in one tick (a burst of /auth requests read together) leave in one
    // write and come back in one read: fewer syscalls for us and for Redis.
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: topology.connectTimeoutMs,
    // Reconnect forever, backing off to 2 s so a Redis restart is picked up quickly.
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  };
  // Credentials given apart from the URL (a Kubernetes Secret key) fill what the URL leaves out.
  if (topology.url) return new Redis(topology.url, { ...common, ...credentials });
  if (topology.sentinelUrls) {
    const tls = topology.sentinelUrls.some((url) => url.startsWith('rediss:'));
    return new Redis({
      ...common,
      ...credentials,
      sentinels: topology.sentinelUrls.map(node),
      name: topology.sentinelMaster!,
      ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
      ...(tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      sentinelRetryStrategy: common.retryStrategy!,
    });
  }
  if (topology.clusterUrls) {
    const tls = topology.clusterUrls.some((url) => url.startsWith('rediss:'));
    return new Cluster(topology.clusterUrls.map(node), {
      lazyConnect: true,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      maxRedirections: 4,
      clusterRetryStrategy: common.retryStrategy!,
      redisOptions: { ...common, ...credentials, ...(tls ? { tls: {} } : {}) },
    });
  }
  return undefined;
}
