import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { maskRedisSecrets } from '../../src/config/redis-settings.js';
import { loadConfig } from '../../src/config/load-config.js';
import { SETTINGS } from '../../src/config/settings.js';
import { ConfigError } from '../../src/errors.js';
import { REPO } from '../support/processes.js';

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
      CLAIM_HEADERS: 'tenant=X-Authgear-Tenant,broken,roles=x-authgear-user-id',
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
    const config = loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example', CLAIM_HEADERS: 'https://a.example/claims/tenant=X-Authgear-Tenant, department=x-authgear-department' });
    expect(config.claimHeaders).toEqual([
      { claim: 'https://a.example/claims/tenant', header: 'x-authgear-tenant' },
      { claim: 'department', header: 'x-authgear-department' },
    ]);
  });

  // Gateways strip client copies by the x-authgear- prefix (Caddy request_header -X-Authgear-*,
  // Traefik authResponseHeadersRegex); a header outside it could be forged by any client.
  it('requires claim headers to start with x-authgear-, and to be none of the sidecar\'s own', () => {
    const claimProblems = (value: string, env: Record<string, string> = {}) =>
      problemsOf({ AUTHGEAR_ENDPOINT: 'https://a.example', CLAIM_HEADERS: value, ...env }).filter((problem) => problem.startsWith('CLAIM_HEADERS'));
    const [prefix] = claimProblems('tenant=X-User-Tenant');
    expect(prefix).toMatch(/"x-user-tenant" must start with x-authgear- \(e\.g\. x-authgear-user-tenant\)/);
    expect(claimProblems('tenant=x-tenant, org=authgear-org, team=x-authgeartenant')).toHaveLength(3);
    expect(claimProblems('a=x-authgear-gate-reason, b=x-authgear-session-valid')).toHaveLength(2);
    expect(claimProblems('a=x-authgear-id-token')).toEqual([expect.stringMatching(/is the ID token header/)]);
    expect(claimProblems('a=x-authgear-proof', { ID_TOKEN_HEADER: 'X-Authgear-Proof' })).toHaveLength(1);
    expect(claimProblems('a=x-authgear-id-token', { ID_TOKEN_HEADER: 'x-authgear-proof' })).toEqual([]);
  });

  it('documents every setting in the table of docs/configuration.md, and nothing else', () => {
    const doc = readFileSync(join(REPO, 'docs/configuration.md'), 'utf8');
    for (const setting of Object.values(SETTINGS)) expect(doc).toContain(`| \`${setting.env}\` |`);
    const start = doc.indexOf('\n## Settings\n');
    expect(start).toBeGreaterThan(0);
    const end = doc.indexOf('\n## ', start + 1);
    const section = doc.slice(start, end === -1 ? undefined : end);
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
// What `openssl rand -base64 32` prints.
const SECRET = { REDIS_HMAC_SECRET: 'q0Zc9kqJc8b0bq8Vw7m4J2sS1xP3oYt6uN5eR8aLdFw=' };

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
    expect(problemsOf({ ...ENDPOINT, ...SECRET, REDIS_URL: 'rediss://:secret@redis.internal:6380/2' })).toEqual([]);
    expect(problemsOf({ ...ENDPOINT, ...SECRET, REDIS_SENTINEL_URLS: 'redis://s1:26379, redis://s2:26379', REDIS_SENTINEL_MASTER: 'mymaster' })).toEqual([]);
    expect(loadConfig({ ...ENDPOINT, ...SECRET, REDIS_CLUSTER_URLS: 'redis://n1:6379,redis://n2:6379' }).redisClusterUrls).toEqual(['redis://n1:6379', 'redis://n2:6379']);
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
      ...SECRET,
      REDIS_HMAC_PREVIOUS_SECRET: 'Yy3t0m1X2k9Q4r6W8e7L5a0S1d2F3g4H5j6K7l8Z9x0=',
      REDIS_SENTINEL_URLS: 'redis://:sentinel-url-secret@s1:26379',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_PASSWORD: 'node-secret',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    })));
    expect(printed).not.toMatch(/secret/);
    expect(printed).not.toContain(SECRET.REDIS_HMAC_SECRET);
    expect(printed).not.toContain('Yy3t0m1X2k9Q4r6W8e7L5a0S1d2F3g4H5j6K7l8Z9x0=');
    expect(printed).toContain('"redisHmacSecret":"***"');
    expect(JSON.stringify(maskRedisSecrets(loadConfig({ ...ENDPOINT, ...SECRET, REDIS_URL: 'redis://user:url-secret@r:6379/1' })))).toContain('redis://user:***@r:6379/1');
  });
});

describe('the secret that signs what is shared through Redis', () => {
  const TOPOLOGIES: Array<[string, Record<string, string>]> = [
    ['REDIS_URL', { REDIS_URL: 'redis://redis.internal:6379' }],
    ['REDIS_SENTINEL_URLS', { REDIS_SENTINEL_URLS: 'redis://s1:26379', REDIS_SENTINEL_MASTER: 'mymaster' }],
    ['REDIS_CLUSTER_URLS', { REDIS_CLUSTER_URLS: 'redis://n1:6379,redis://n2:6379' }],
  ];

  it.each(TOPOLOGIES)('is required with %s, named as one more problem among the others', (topology, env) => {
    const problems = problemsOf({ ...ENDPOINT, ...env, PORT: 'abc' });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['PORT', 'REDIS_HMAC_SECRET']);
    expect(problems.find((problem) => problem.startsWith('REDIS_HMAC_SECRET'))).toBe(
      `REDIS_HMAC_SECRET: required with ${topology}: every entry shared through Redis is signed with it; generate one with: openssl rand -base64 32`,
    );
    expect(problemsOf({ ...ENDPOINT, ...env, ...SECRET })).toEqual([]);
  });

  it('is not needed without Redis, and then unused', () => {
    expect(problemsOf(ENDPOINT)).toEqual([]);
    expect(loadConfig(ENDPOINT).redisHmacSecret).toBeUndefined();
  });

  it('must be 32 random bytes or more, and is never quoted in a problem', () => {
    const weak = ['short-secret', 'correct horse battery staple', 'a'.repeat(64), 'ab'.repeat(30)];
    for (const value of weak) {
      const problems = problemsOf({ ...ENDPOINT, REDIS_URL: 'redis://r:6379', REDIS_HMAC_SECRET: value });
      expect(problems, value).toHaveLength(1);
      expect(problems[0]).toMatch(/^REDIS_HMAC_SECRET: (too short|does not look random).*openssl rand -base64 32$/);
      expect(problems[0]).not.toContain(value);
    }
    // 32 bytes as openssl prints them, in base64 and in hex.
    expect(problemsOf({ ...ENDPOINT, REDIS_URL: 'redis://r:6379', REDIS_HMAC_SECRET: 'c2a5f0e1b3d4978660f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b' })).toEqual([]);
  });

  it('can be rotated: a previous secret is accepted beside it, never alone nor equal to it', () => {
    const PREVIOUS = 'Yy3t0m1X2k9Q4r6W8e7L5a0S1d2F3g4H5j6K7l8Z9x0=';
    const redis = { ...ENDPOINT, REDIS_URL: 'redis://r:6379' };
    expect(loadConfig({ ...redis, ...SECRET, REDIS_HMAC_PREVIOUS_SECRET: PREVIOUS }).redisHmacPreviousSecret).toBe(PREVIOUS);
    expect(problemsOf({ ...ENDPOINT, REDIS_HMAC_PREVIOUS_SECRET: PREVIOUS })).toEqual(['REDIS_HMAC_PREVIOUS_SECRET: only with REDIS_HMAC_SECRET (the secret replacing it)']);
    expect(problemsOf({ ...redis, ...SECRET, REDIS_HMAC_PREVIOUS_SECRET: SECRET.REDIS_HMAC_SECRET })).toEqual([
      'REDIS_HMAC_PREVIOUS_SECRET: is REDIS_HMAC_SECRET itself; set it to the secret being replaced',
    ]);
    expect(problemsOf({ ...redis, ...SECRET, REDIS_HMAC_PREVIOUS_SECRET: 'old' })[0]).toMatch(/^REDIS_HMAC_PREVIOUS_SECRET: too short/);
  });

  it('takes Redis credentials apart from REDIS_URL (a Secret key), but not in both places', () => {
    expect(problemsOf({ ...ENDPOINT, ...SECRET, REDIS_URL: 'redis://r:6379', REDIS_USERNAME: 'authgear-gate', REDIS_PASSWORD: 'pw' })).toEqual([]);
    expect(problemsOf({ ...ENDPOINT, ...SECRET, REDIS_URL: 'redis://:pw@r:6379', REDIS_PASSWORD: 'pw' })).toEqual([
      'REDIS_URL: carries credentials, and so do REDIS_USERNAME / REDIS_PASSWORD: give them in one place',
    ]);
  });

  it('stops the built server at start when Redis is configured without it', async () => {
    const failure = await promisify(execFile)(process.execPath, [join(REPO, 'dist/server.js')], {
      env: { PATH: process.env.PATH, AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud', REDIS_URL: 'redis://127.0.0.1:1' },
      timeout: 10_000,
    }).catch((error: { code: number; stderr: string }) => error);
    expect((failure as { code: number }).code).toBe(2);
    expect((failure as { stderr: string }).stderr).toContain('REDIS_HMAC_SECRET: required with REDIS_URL');
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
