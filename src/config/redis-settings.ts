import type { Settings } from './settings.js';

type RedisTopologySettings = Pick<Settings, 'redisUrl' | 'redisSentinelUrls' | 'redisSentinelMaster' | 'redisClusterUrls'>;

/** Settings that are only wrong together: one Redis topology, and what each one needs. */
export function redisProblems(config: Partial<RedisTopologySettings>): string[] {
  const problems: string[] = [];
  const topologies = [
    config.redisUrl && 'REDIS_URL',
    config.redisSentinelUrls && 'REDIS_SENTINEL_URLS',
    config.redisClusterUrls && 'REDIS_CLUSTER_URLS',
  ].filter(Boolean);
  if (topologies.length > 1) problems.push(`${topologies.join(', ')}: set only one Redis topology`);
  if (config.redisSentinelUrls && !config.redisSentinelMaster) problems.push('REDIS_SENTINEL_MASTER: required with REDIS_SENTINEL_URLS');
  if (config.redisSentinelMaster && !config.redisSentinelUrls) problems.push('REDIS_SENTINEL_URLS: required with REDIS_SENTINEL_MASTER');
  if (config.redisSentinelUrls?.length === 0) problems.push('REDIS_SENTINEL_URLS: no address given');
  if (config.redisClusterUrls?.length === 0) problems.push('REDIS_CLUSTER_URLS: no address given');
  return problems;
}

const maskUrl = (url: string): string => {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
};

/** The configuration as it may be printed (--check-config): Redis passwords masked, in URLs too. */
export function maskRedisSecrets(config: Partial<Settings>): Record<string, unknown> {
  return {
    ...config,
    ...(config.redisUrl ? { redisUrl: maskUrl(config.redisUrl) } : {}),
    ...(config.redisSentinelUrls ? { redisSentinelUrls: config.redisSentinelUrls.map(maskUrl) } : {}),
    ...(config.redisClusterUrls ? { redisClusterUrls: config.redisClusterUrls.map(maskUrl) } : {}),
    ...(config.redisPassword ? { redisPassword: '***' } : {}),
    ...(config.redisSentinelPassword ? { redisSentinelPassword: '***' } : {}),
  };
}
