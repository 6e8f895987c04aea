import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { maskRedisSecrets } from '../src/config/redis-settings.js';
import { loadConfig } from '../src/config/load-config.js';
import { SETTINGS } from '../src/config/settings.js';
import { ConfigError } from '../src/errors.js';
import { REPO } from './support/processes.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

describe('configuration', () => {
  it('has safe defaults: RS256 only, the origin as audience, a small skew', () => {
    const config = loadConfig({ AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud/' });
    expect(config.authgearEndpoint).toBe('https://myapp.authgear.cloud');
    expect(config.acceptedAudiences).toEqual(['https://myapp.authgear.cloud']);
    expect(config.allowedAlgorithms).toEqual(['RS256']);
    expect(config.port).toBe(8080);
    expect(config.clockSkewSeconds).toBeLessThanOrEqual(60);
  });

  it('reports every problem at once, each naming its variable', () => {
    const problems = problemsOf({
      AUTHGEAR_ENDPOINT: 'http://myapp.authgear.cloud/path',
      PORT: '99999',
      ALLOWED_ALGORITHMS: 'RS256,HS256',
      CLOCK_SKEW_SECONDS: '3600',
      CLAIM_HEADERS: 'tenant=X-Tenant,broken,roles=x-authgear-user-id',
    });
    const variables = problems.map((problem) => problem.split(':')[0]);
    expect(new Set(variables)).toEqual(new Set(['AUTHGEAR_ENDPOINT', 'PORT', 'ALLOWED_ALGORITHMS', 'CLOCK_SKEW_SECONDS', 'CLAIM_HEADERS']));
    expect(problems.filter((problem) => problem.startsWith('AUTHGEAR_ENDPOINT'))).toHaveLength(2);
    expect(problems.filter((problem) => problem.startsWith('CLAIM_HEADERS'))).toHaveLength(2);
  });

  it('requires the endpoint', () => {
    expect(problemsOf({}).map((problem) => problem.split(':')[0])).toEqual(['AUTHGEAR_ENDPOINT']);
  });

  it('never lets HS* or none be enabled', () => {
    for (const alg of ['HS256', 'HS512', 'none']) expect(problemsOf({ AUTHGEAR_ENDPOINT: 'https://a.example', ALLOWED_ALGORITHMS: alg })).toHaveLength(1);
  });

  it('accepts http for loopback only', () => {
    expect(problemsOf({ AUTHGEAR_ENDPOINT: 'http://127.0.0.1:3000' })).toEqual([]);
    expect(problemsOf({ AUTHGEAR_ENDPOINT: 'http://auth.internal' })).toHaveLength(1);
  });

  it('parses claim-to-header mappings, including claim names that are URLs', () => {
    const config = loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example', CLAIM_HEADERS: 'https://a.example/claims/tenant=X-User-Tenant, department=x-user-department' });
    expect(config.claimHeaders).toEqual([
      { claim: 'https://a.example/claims/tenant', header: 'x-user-tenant' },
      { claim: 'department', header: 'x-user-department' },
    ]);
  });

  it('documents every setting in the README table, and nothing else', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    for (const setting of Object.values(SETTINGS)) expect(readme).toContain(`| \`${setting.env}\` |`);
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const documented = [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.values(SETTINGS).map((setting) => setting.env).sort());
  });
});

describe('operational limits', () => {
  const base = { AUTHGEAR_ENDPOINT: 'https://auth.example.test' };

  it('have defaults that fit a Kubernetes grace period and Node\'s header handling', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({ shutdownTimeoutSeconds: 20, shutdownDelaySeconds: 0, maxHeaderBytes: 32768, upstreamMaxInFlight: 64, upstreamMaxQueued: 256 });
    expect(config.metricsPort).toBeUndefined();
  });

  it('are checked against each other, every problem listed at once', () => {
    expect(problemsOf({ ...base, MAX_TOKEN_BYTES: '16384', MAX_HEADER_BYTES: '16384', SHUTDOWN_DELAY_SECONDS: '30', SHUTDOWN_TIMEOUT_SECONDS: '20', METRICS_PORT: '8080' })).toEqual([
      expect.stringMatching(/^MAX_HEADER_BYTES: must exceed MAX_TOKEN_BYTES/),
      expect.stringMatching(/^SHUTDOWN_DELAY_SECONDS: must be shorter/),
      expect.stringMatching(/^METRICS_PORT: must differ from PORT/),
    ]);
  });

  it('give every listener a port of its own', () => {
    expect(problemsOf({ ...base, EXT_AUTHZ_GRPC_PORT: '8080' })).toEqual(['EXT_AUTHZ_GRPC_PORT: must differ from PORT']);
    expect(problemsOf({ ...base, METRICS_PORT: '9464', EXT_AUTHZ_GRPC_PORT: '9464' })).toEqual(['EXT_AUTHZ_GRPC_PORT: must differ from METRICS_PORT']);
    expect(loadConfig({ ...base, METRICS_PORT: '9464', EXT_AUTHZ_GRPC_PORT: '9001' }).extAuthzGrpcPort).toBe(9001);
    expect(loadConfig(base).extAuthzGrpcPort).toBeUndefined();
  });

  it('refuse out-of-range values with the variable named', () => {
    const problems = problemsOf({ ...base, UPSTREAM_MAX_IN_FLIGHT: '0', SHUTDOWN_TIMEOUT_SECONDS: 'soon', MAX_HEADER_BYTES: '100' });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(['UPSTREAM_MAX_IN_FLIGHT', 'MAX_HEADER_BYTES', 'SHUTDOWN_TIMEOUT_SECONDS']);
  });
});

describe('the process', () => {
  const run = promisify(execFile);
  const server = join(REPO, 'dist/server.js');

  it('--check-config prints every problem and exits non-zero for a bad configuration', async () => {
    const failure = await run(process.execPath, [server, '--check-config'], { env: { PATH: process.env.PATH, AUTHGEAR_ENDPOINT: 'ftp://x', PORT: 'abc' } }).catch((error: { code: number; stderr: string }) => error);
    expect('code' in failure && failure.code).toBe(2);
    expect((failure as { stderr: string }).stderr).toMatch(/AUTHGEAR_ENDPOINT: .*\n.*PORT: /s);
  });

  it('--check-config exits 0 for a good configuration without contacting Authgear', async () => {
    const { stdout } = await run(process.execPath, [server, '--check-config'], { env: { PATH: process.env.PATH, AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud' } });
    expect(stdout).toContain('configuration is valid');
  });

  it('refuses to start with a bad configuration', async () => {
    const failure = await run(process.execPath, [server], { env: { PATH: process.env.PATH } }).catch((error: { code: number; stderr: string }) => error);
    expect((failure as { code: number }).code).toBe(2);
    expect((failure as { stderr: string }).stderr).toContain('AUTHGEAR_ENDPOINT');
  });
});

const ENDPOINT = { AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud' };

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
    expect(problemsOf({ ...ENDPOINT, REDIS_URL: 'rediss://:secret@redis.internal:6380/2' })).toEqual([]);
    expect(problemsOf({ ...ENDPOINT, REDIS_SENTINEL_URLS: 'redis://s1:26379, redis://s2:26379', REDIS_SENTINEL_MASTER: 'mymaster' })).toEqual([]);
    expect(loadConfig({ ...ENDPOINT, REDIS_CLUSTER_URLS: 'redis://n1:6379,redis://n2:6379' }).redisClusterUrls).toEqual(['redis://n1:6379', 'redis://n2:6379']);
  });

  it('refuses two topologies, a Sentinel setup missing half, and non-Redis URLs, listing every problem', () => {
    const problems = problemsOf({ ...ENDPOINT,
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
    expect(problemsOf({ ...ENDPOINT, REDIS_SENTINEL_MASTER: 'mymaster' })).toEqual(['REDIS_SENTINEL_URLS: required with REDIS_SENTINEL_MASTER']);
    expect(problemsOf({ ...ENDPOINT, AUTHGEAR_COOKIE_PREFIX: 'bad prefix;' })).toHaveLength(1);
  });

  it('masks Redis passwords wherever they are when the configuration is printed', () => {
    const printed = JSON.stringify(maskRedisSecrets(loadConfig({
      ...ENDPOINT,
      REDIS_SENTINEL_URLS: 'redis://:sentinel-url-secret@s1:26379',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_PASSWORD: 'node-secret',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    })));
    expect(printed).not.toMatch(/secret/);
    expect(JSON.stringify(maskRedisSecrets(loadConfig({ ...ENDPOINT, REDIS_URL: 'redis://user:url-secret@r:6379/1' })))).toContain('redis://user:***@r:6379/1');
  });
});

describe('configuration problems in plain words', () => {
  const ENDPOINT = { AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud' };

  it('says a required setting is required, with what it is for, not a type error', () => {
    const [problem] = problemsOf({});
    expect(problem).toBe('AUTHGEAR_ENDPOINT: is required: Authgear project origin (the token issuer), e.g. https://myapp.authgear.cloud.');
    expect(problem).not.toMatch(/undefined|expected string/);
  });

  it('names every bad value of a list once, with what is allowed', () => {
    const problems = problemsOf({ ...ENDPOINT, ALLOWED_ALGORITHMS: 'HS256,none,HS256' });
    expect(problems).toEqual([
      'ALLOWED_ALGORITHMS: "HS256", "none" are not allowed; allowed values are RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA (got "HS256,none,HS256")',
    ]);
  });

  it('shows the value it refused, and what would do, for numbers, choices and patterns', () => {
    expect(problemsOf({ ...ENDPOINT, PORT: 'abc' })).toEqual(['PORT: must be a whole number (got "abc")']);
    expect(problemsOf({ ...ENDPOINT, CLOCK_SKEW_SECONDS: '999' })).toEqual(['CLOCK_SKEW_SECONDS: must be at most 300 (got "999")']);
    expect(problemsOf({ ...ENDPOINT, GATEWAY: 'envoy' })).toEqual(['GATEWAY: allowed values are auto, nginx, forward-auth (got "envoy")']);
    expect(problemsOf({ ...ENDPOINT, REALM: 'a"b' })).toEqual(['REALM: must be 1-100 printable ASCII characters without " or \\ (got "a\\"b")']);
  });

  it('never shows a secret: passwords masked, in URLs too', () => {
    const problems = problemsOf({ ...ENDPOINT, REDIS_URL: 'http://user:hunter2@redis.internal:6379' });
    expect(problems).toEqual(['REDIS_URL: must be redis:// or rediss:// (TLS) (got "http://user:***@redis.internal:6379")']);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('does not add what a refused setting would have meant together with another', () => {
    const problems = problemsOf({ ...ENDPOINT, REDIS_SENTINEL_URLS: 'not-a-url', REDIS_SENTINEL_MASTER: 'mymaster' });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(['REDIS_SENTINEL_URLS', 'REDIS_SENTINEL_URLS']);
    expect(problems.join('\n')).not.toContain('required with');
  });
});
