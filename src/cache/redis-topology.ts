/** Where Redis is: one of a URL, Sentinels or a Cluster's nodes, or none (no Redis). */
export interface RedisTopology {
  url?: string | undefined;
  sentinelUrls?: string[] | undefined;
  sentinelMaster?: string | undefined;
  sentinelPassword?: string | undefined;
  clusterUrls?: string[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  connectTimeoutMs: number;
}

/** Whether any Redis is configured; answered without loading ioredis. */
export const hasRedis = (topology: Omit<RedisTopology, 'connectTimeoutMs'>): boolean =>
  Boolean(topology.url || topology.sentinelUrls || topology.clusterUrls);
