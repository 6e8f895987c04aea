import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const ENDPOINT = { AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud' };

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ ...ENDPOINT, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

describe('resolver and Redis configuration', () => {
  it('defaults to auto mode, no Redis, no serve-stale, and revocation within a minute', () => {
    const config = loadConfig(ENDPOINT);
    expect(config.authMode).toBe('auto');
    expect(config.redisUrl).toBeUndefined();
    expect(config.resolverServeStaleSeconds).toBe(0);
    expect(config.resolverPositiveTtlSeconds).toBeLessThanOrEqual(60);
    expect(config.resolverNegativeTtlSeconds).toBeLessThanOrEqual(config.resolverPositiveTtlSeconds);
    expect(config.resolverLocalTtlSeconds).toBeLessThan(config.resolverPositiveTtlSeconds);
    expect(config.cookiePrefix).toBe('');
  });

  it('accepts each Redis topology on its own', () => {
    expect(problemsOf({ REDIS_URL: 'rediss://:secret@redis.internal:6380/2' })).toEqual([]);
    expect(problemsOf({ REDIS_SENTINEL_URLS: 'redis://s1:26379, redis://s2:26379', REDIS_SENTINEL_MASTER: 'mymaster' })).toEqual([]);
    expect(loadConfig({ ...ENDPOINT, REDIS_CLUSTER_URLS: 'redis://n1:6379,redis://n2:6379' }).redisClusterUrls).toEqual(['redis://n1:6379', 'redis://n2:6379']);
  });

  it('refuses two topologies, a Sentinel setup missing half, and non-Redis URLs, listing every problem', () => {
    const problems = problemsOf({
      PORT: '0',
      REDIS_URL: 'http://redis.internal:6379',
      REDIS_CLUSTER_URLS: 'redis://n1:6379',
      REDIS_SENTINEL_URLS: 'redis://s1:26379',
      AUTH_MODE: 'session',
      RESOLVER_SERVE_STALE_SECONDS: '86400',
    });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(
      expect.arrayContaining(['PORT', 'REDIS_URL', 'AUTH_MODE', 'RESOLVER_SERVE_STALE_SECONDS', 'REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_URLS, REDIS_CLUSTER_URLS']),
    );
    expect(problemsOf({ REDIS_SENTINEL_MASTER: 'mymaster' })).toEqual(['REDIS_SENTINEL_URLS: required with REDIS_SENTINEL_MASTER']);
    expect(problemsOf({ AUTHGEAR_COOKIE_PREFIX: 'bad prefix;' })).toHaveLength(1);
  });

  it('masks Redis passwords wherever they are when the configuration is printed', () => {
    const printed = JSON.stringify(redactConfig(loadConfig({
      ...ENDPOINT,
      REDIS_SENTINEL_URLS: 'redis://:sentinel-url-secret@s1:26379',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_PASSWORD: 'node-secret',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    })));
    expect(printed).not.toMatch(/secret/);
    expect(JSON.stringify(redactConfig(loadConfig({ ...ENDPOINT, REDIS_URL: 'redis://user:url-secret@r:6379/1' })))).toContain('redis://user:***@r:6379/1');
  });
});
