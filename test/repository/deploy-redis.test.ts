import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { containerEnv, expand } from '../support/kubernetes/pod-env.js';
import { find, kustomize } from '../support/kubernetes/render.js';
import { freePort, httpGet, spawnProcess, startGateProcess, tempDir, type Spawned } from '../support/processes.js';
import { sumOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The Redis container of deploy/redis, its command and args as rendered, run here on a
 * loopback port (the image's redis-server and sh, minus the pod): it must refuse to start
 * without a password, refuse anyone but the sidecar's ACL user, and still give the built
 * sidecar, wired as the overlay wires it, every command it sends.
 */
const objects = kustomize('deploy/overlays/ingress-nginx');
const redisContainer = find(objects, 'Deployment', 'authgear-gate-redis').spec.template.spec.containers[0];
const sidecarContainer = find(objects, 'Deployment', 'authgear-gate').spec.template.spec.containers[0];
const PASSWORD = randomBytes(32).toString('base64');
const SECRETS = { 'authgear-gate-redis': { password: PASSWORD, 'hmac-secret': randomBytes(32).toString('base64') } };
const run = promisify(execFile);

/** The container's command line as the kubelet builds it, plus where to listen here. */
function startShippedRedis(env: Record<string, string>, port: number): Spawned {
  const [command, ...rest] = [...redisContainer.command, ...redisContainer.args].map((part: string) => expand(part, env));
  return spawnProcess(command!, [...rest, '--port', String(port), '--bind', '127.0.0.1', '--dir', tempDir('shipped-redis')], {}, { env: { PATH: process.env.PATH!, ...env } });
}

/** redis-cli against that port; the password, when given, the way the probe passes it. */
async function cli(port: number, args: string[], password?: string): Promise<string> {
  const env = { PATH: process.env.PATH!, ...(password ? { REDISCLI_AUTH: password } : {}) };
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { env, timeout: 5000 });
  return stdout.trim();
}
const asGate = (port: number, ...args: string[]) => cli(port, ['--user', 'authgear-gate', ...args], PASSWORD);

describe('the shipped Redis container', () => {
  it.each([
    ['no password', {}],
    ['an empty password', { REDIS_PASSWORD: '' }],
    ['a short password', { REDIS_PASSWORD: 'redis123' }],
  ])('does not start with %s', async (_name, env) => {
    const redis = startShippedRedis(env, await freePort());
    const code = await new Promise<number | null>((done) => redis.process.on('exit', done));
    expect(code).toBe(1);
    expect(redis.output()).toContain('REDIS_PASSWORD (key password of Secret authgear-gate-redis) must be 32 characters or more');
  });

  describe('started with the Secret', () => {
    let port: number;
    let redis: Spawned;
    let authgear: AuthgearStandIn;
    let gate: (Spawned & { url: string }) | undefined;

    beforeAll(async () => {
      port = await freePort();
      redis = startShippedRedis(containerEnv(objects, redisContainer, SECRETS), port);
      await waitFor(async () => {
        if (redis.process.exitCode !== null) throw new Error(`redis exited: ${redis.output()}`);
        return (await asGate(port, 'ping').catch(() => '')) === 'PONG';
      }, 10_000, 'the shipped redis to answer its user');
      authgear = await startAuthgearStandIn();
    });
    afterAll(async () => {
      await gate?.stop();
      await redis?.stop();
      await authgear?.close();
    });

    it('answers nobody but the sidecar\'s user, and that user only on its own keys and commands', async () => {
      expect(await cli(port, ['ping'])).toMatch(/NOAUTH/);
      // redis-cli reports the failed AUTH on stderr; the command then meets NOAUTH.
      expect(await cli(port, ['--user', 'default', 'ping'], PASSWORD)).toMatch(/NOAUTH/);
      expect(await cli(port, ['--user', 'authgear-gate', 'ping'], `${PASSWORD}x`)).toMatch(/NOAUTH/);
      const [probe, ...probeArgs] = redisContainer.readinessProbe.exec.command as string[];
      expect((await run(probe!, ['-h', '127.0.0.1', '-p', String(port), ...probeArgs], { env: { PATH: process.env.PATH!, ...containerEnv(objects, redisContainer, SECRETS) } })).stdout.trim()).toBe('PONG');
      expect(await asGate(port, 'set', 'authgear-gate:probe', '1', 'PX', '1000', 'NX')).toBe('OK');
      for (const forbidden of [['set', 'other:key', '1'], ['get', 'other:key'], ['keys', '*'], ['flushall'], ['config', 'get', 'requirepass'], ['acl', 'list'], ['eval', 'return 1', '0'], ['client', 'list'], ['monitor'], ['subscribe', 'x']]) {
        expect(await asGate(port, ...forbidden), forbidden.join(' ')).toMatch(/NOPERM/);
      }
    });

    it('gives the built sidecar, configured as the overlay configures it, every command it sends', async () => {
      const env = containerEnv(objects, sidecarContainer, SECRETS);
      delete env.PORT;
      delete env.METRICS_PORT;
      gate = await startGateProcess({ ...env, AUTHGEAR_ENDPOINT: authgear.origin, REDIS_URL: env.REDIS_URL!.replace('authgear-gate-redis:6379', `127.0.0.1:${port}`) });
      expect(JSON.parse((await httpGet(`${gate.url}/readyz`)).body).checks.redis).toBe('ok');
      const { value, user } = authgear.sessions.issue('session');
      for (let i = 0; i < 3; i++) {
        const answer = await httpGet(`${gate.url}/auth`, { 'x-original-uri': '/', host: 'app.example.test', cookie: `session=${value}` });
        expect(answer.headers['x-authgear-user-id']).toBe(user.id);
      }
      // Key set (fetched under the SET NX lock, released with DEL) and the session answer.
      await waitFor(async () => (await asGate(port, 'info', 'keyspace')).includes('keys=2'), 5000, 'two shared entries');
      const metrics = (await httpGet(`${gate.url}/metrics`)).body;
      expect(sumOf(metrics, 'authgear_gate_redis_errors_total')).toBe(0);
      expect(sumOf(metrics, 'authgear_gate_cache_lookups_total', { layer: 'redis', outcome: 'error' })).toBe(0);
      expect(sumOf(metrics, 'authgear_gate_cache_rejected_total')).toBe(0);
    });
  });
});
