import type { Settings } from './settings.js';

type RedisSettings = Pick<
  Settings,
  'redisUrl' | 'redisSentinelUrls' | 'redisSentinelMaster' | 'redisClusterUrls' | 'redisUsername' | 'redisPassword' | 'redisHmacSecret' | 'redisHmacPreviousSecret'
>;

const GENERATE = 'generate one with: openssl rand -base64 32';
// 32 random bytes are 43 characters in base64 (64 in hex); a random one of that length
// repeats a handful of characters only by accident, a placeholder or a word does it always.
const SECRET_MIN_CHARS = 43;
const SECRET_MIN_DISTINCT = 10;

/** What is wrong with a signing secret, never quoting it. */
function secretProblems(variable: string, secret: string): string[] {
  if (secret.length < SECRET_MIN_CHARS) return [`${variable}: too short (${secret.length} characters, at least ${SECRET_MIN_CHARS}): use 32 random bytes; ${GENERATE}`];
  if (new Set(secret).size < SECRET_MIN_DISTINCT) return [`${variable}: does not look random (${new Set(secret).size} distinct characters); ${GENERATE}`];
  return [];
}

/** Settings that are only wrong together: one Redis topology, and what each one needs. */
export function redisProblems(config: Partial<RedisSettings>): string[] {
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
  if (config.redisUrl && (config.redisUsername || config.redisPassword)) {
    const inUrl = new URL(config.redisUrl);
    if (inUrl.username || inUrl.password) problems.push('REDIS_URL: carries credentials, and so do REDIS_USERNAME / REDIS_PASSWORD: give them in one place');
  }
  // Unsigned sharing would let whoever reaches Redis choose the keys tokens are checked with.
  if (topologies.length > 0 && config.redisHmacSecret === undefined) {
    problems.push(`REDIS_HMAC_SECRET: required with ${topologies[0]}: every entry shared through Redis is signed with it; ${GENERATE}`);
  }
  if (config.redisHmacSecret !== undefined) problems.push(...secretProblems('REDIS_HMAC_SECRET', config.redisHmacSecret));
  if (config.redisHmacPreviousSecret !== undefined) {
    problems.push(...secretProblems('REDIS_HMAC_PREVIOUS_SECRET', config.redisHmacPreviousSecret));
    if (config.redisHmacSecret === undefined) problems.push('REDIS_HMAC_PREVIOUS_SECRET: only with REDIS_HMAC_SECRET (the secret replacing it)');
    else if (config.redisHmacPreviousSecret === config.redisHmacSecret) problems.push('REDIS_HMAC_PREVIOUS_SECRET: is REDIS_HMAC_SECRET itself; set it to the secret being replaced');
  }
  return problems;
}

const maskUrl = (url: string): string => {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
};

/** The configuration as it may be printed (--check-config): Redis passwords and secrets masked, in URLs too. */
export function maskRedisSecrets(config: Partial<Settings>): Record<string, unknown> {
  return {
    ...config,
    ...(config.redisUrl ? { redisUrl: maskUrl(config.redisUrl) } : {}),
    ...(config.redisSentinelUrls ? { redisSentinelUrls: config.redisSentinelUrls.map(maskUrl) } : {}),
    ...(config.redisClusterUrls ? { redisClusterUrls: config.redisClusterUrls.map(maskUrl) } : {}),
    ...(config.redisPassword ? { redisPassword: '***' } : {}),
    ...(config.redisSentinelPassword ? { redisSentinelPassword: '***' } : {}),
    ...(config.redisHmacSecret ? { redisHmacSecret: '***' } : {}),
    ...(config.redisHmacPreviousSecret ? { redisHmacPreviousSecret: '***' } : {}),
  };
}
