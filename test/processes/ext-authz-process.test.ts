import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { check, checkRequestBytes, type CheckAnswer, type EnvoyExtAuthz } from '../support/envoy-ext-authz.js';
import { freePort, httpGet, REPO, startGateProcess, type Spawned } from '../support/processes.js';
import { valueOf } from '../support/prometheus.js';
import { RawConnection } from '../support/raw-connection.js';
import { waitFor } from '../support/wait-for.js';
import { reasonOf } from '../support/answers.js';

const APP = 'app.example.test';
const ENVOY: EnvoyExtAuthz = { pathPrefix: '/authz', allowedHeaders: ['cookie', 'accept'], allowedUpstreamHeaders: [...IDENTITY_HEADER_NAMES] };

describe('EXT_AUTHZ_PORT and EXT_AUTHZ_PATH_PREFIX', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ AUTHGEAR_ENDPOINT: 'https://auth.example.test', ...env });
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  it('are off and empty by default', () => {
    expect(loadConfig({ AUTHGEAR_ENDPOINT: 'https://auth.example.test' })).toMatchObject({ extAuthzPort: undefined, extAuthzPathPrefix: '' });
  });

  it('need a port of their own: not PORT, not METRICS_PORT', () => {
    expect(problems({ EXT_AUTHZ_PORT: '8080' })).toEqual(['EXT_AUTHZ_PORT: must differ from PORT']);
    expect(problems({ EXT_AUTHZ_PORT: '9000', PORT: '9000' })).toEqual(['EXT_AUTHZ_PORT: must differ from PORT']);
    expect(problems({ EXT_AUTHZ_PORT: '9464', METRICS_PORT: '9464' })).toEqual(['EXT_AUTHZ_PORT: must differ from METRICS_PORT']);
    expect(problems({ EXT_AUTHZ_PORT: '0' })).toHaveLength(1);
    expect(problems({ EXT_AUTHZ_PORT: '8081', METRICS_PORT: '9464' })).toEqual([]);
  });

  it.each(['authz', '/authz?x=1', '/authz#x', '/a%2Fb', '/a b', `/${'a'.repeat(300)}`])('refuse the prefix %j', (prefix) => {
    expect(problems({ EXT_AUTHZ_PORT: '8081', EXT_AUTHZ_PATH_PREFIX: prefix })).toEqual([expect.stringMatching(/^EXT_AUTHZ_PATH_PREFIX: /)]);
  });

  it('stop the built server at start with the problem named', () => {
    let output = '';
    try {
      execFileSync(process.execPath, [join(REPO, 'dist/server.js'), '--check-config'], { env: { PATH: process.env.PATH, AUTHGEAR_ENDPOINT: 'https://auth.example.test', EXT_AUTHZ_PORT: '8080' }, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      output = String((error as { stderr: string }).stderr);
      expect((error as { status: number }).status).toBe(2);
    }
    expect(output).toContain('EXT_AUTHZ_PORT: must differ from PORT');
  });
});

describe('the built server with EXT_AUTHZ_PORT, over real sockets', () => {
  let authgear: AuthgearStandIn;
  let gate: Spawned & { url: string; port: number };
  let port: number;

  beforeAll(async () => {
    authgear = await startAuthgearStandIn();
    port = await freePort();
    gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, EXT_AUTHZ_PORT: String(port), EXT_AUTHZ_PATH_PREFIX: '/authz', LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    await gate?.stop('SIGKILL');
    await authgear?.close();
  });

  const ask = async (path: string, headers: Record<string, string> = {}, method = 'GET') => check(port, ENVOY, { method, path, host: APP, headers });
  const raw = async (text: string) => {
    const connection = new RawConnection(port);
    try {
      return await connection.send(Buffer.from(text, 'latin1'));
    } finally {
      connection.close();
    }
  };

  it('answers Envoy\'s check requests: 200 with identity, 401 with the challenge, Content-Length 0 every time', async () => {
    const allowed = await ask('/orders/7?x=1', { authorization: `Bearer ${await authgear.accessToken({ claims: { sub: 'u-process' } })}` }, 'PATCH');
    expect([allowed.status, allowed.header('x-authgear-user-id'), allowed.header('content-length'), allowed.header('transfer-encoding')]).toEqual([200, 'u-process', '0', undefined]);
    const denied = await ask('/orders/7');
    expect([denied.status, reasonOf(denied), denied.header('www-authenticate'), denied.header('content-length')]).toEqual([401, 'credentials_missing', 'Bearer realm="authgear-gate"', '0']);
  });

  it('keeps a connection for the next check, as Envoy\'s pool does', async () => {
    const connection = new RawConnection(port);
    try {
      for (let round = 0; round < 3; round++) expect((await connection.send(checkRequestBytes(ENVOY, { path: `/r${round}`, host: APP }))).status).toBe(401);
      expect(connection.closed).toBe(false);
    } finally {
      connection.close();
    }
  });

  it('never answers its own routes there, and still does on PORT', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/auth']) {
      const answer = await ask(path);
      expect([path, answer.status, reasonOf(answer)]).toEqual([path, 401, 'credentials_missing']);
    }
    const health = await httpGet(`${gate.url}/healthz`);
    expect([health.status, health.body]).toEqual([200, 'ok']);
    expect((await httpGet(`${gate.url}/metrics`)).body).toContain('authgear_gate_');
  });

  it('refuses a check request outside the prefix (403 path_outside_prefix), never allowing it', async () => {
    const token = { authorization: `Bearer ${await authgear.accessToken()}` };
    for (const target of ['/orders', '/authzorders', '/', '/auth', '/authz']) {
      const answer = await raw(`GET ${target} HTTP/1.1\r\nhost: ${APP}\r\nauthorization: ${token.authorization}\r\ncontent-length: 0\r\n\r\n`);
      expect([target, answer.status, reasonOf(answer)]).toEqual([target, target === '/authz' ? 401 : 403, target === '/authz' ? 'request_malformed' : 'path_outside_prefix']);
    }
    await waitFor(() => /"reason":"path_outside_prefix".*is not under EXT_AUTHZ_PATH_PREFIX/.test(gate.output()), 5000, 'the refusal to be logged loudly');
  });

  it('refuses malformed check requests with a 4xx and a reason code, never a 5xx', async () => {
    const cases: Array<[string, number, string]> = [
      [`GET /authz/x HTTP/1.1\r\nhost: evil/host\r\ncontent-length: 0\r\n\r\n`, 401, 'request_malformed'],
      [`GET /authz/x HTTP/1.1\r\ncontent-length: 0\r\n\r\n`, 400, 'host_required'],
      [`GET /authz/x HTTP/1.1\r\nhost: ${APP}\r\npath: /public\r\ncontent-length: 0\r\n\r\n`, 401, 'request_malformed'],
      [`GET /authz HTTP/1.1\r\nhost: ${APP}\r\nmethod: GET\r\ncontent-length: 0\r\n\r\n`, 401, 'request_malformed'],
      [`GET /authz HTTP/1.1\r\nhost: ${APP}\r\nmethod: GET\r\npath: relative\r\ncontent-length: 0\r\n\r\n`, 401, 'request_malformed'],
      [`GET /authz/x y HTTP/1.1\r\nhost: ${APP}\r\n\r\n`, 400, 'request_unparsable'],
      [`GET /authz/${'a'.repeat(9000)} HTTP/1.1\r\nhost: ${APP}\r\n\r\n`, 401, 'request_malformed'],
    ];
    for (const [text, status, code] of cases) {
      const answer = await raw(text);
      expect([JSON.stringify(text.slice(0, 60)), answer.status, reasonOf(answer), answer.header('content-length')]).toEqual([JSON.stringify(text.slice(0, 60)), status, code, '0']);
    }
    // Node alone answers a request without Host a bare 400; on PORT too it names its reason.
    const connection = new RawConnection(gate.port);
    try {
      const answer = await connection.send(Buffer.from('GET /auth HTTP/1.1\r\nx-original-uri: /x\r\n\r\n'));
      expect([answer.status, reasonOf(answer)]).toEqual([400, 'host_required']);
    } finally {
      connection.close();
    }
  });

  it('takes the authority of an absolute-form target as the original host', async () => {
    const answer = await raw(`GET http://${APP}:8443/authz/x HTTP/1.1\r\nhost: other.test\r\ncontent-length: 0\r\n\r\n`);
    expect(reasonOf(answer)).toBe('credentials_missing');
    const logged = new RegExp(`"host":"${APP}:8443","path":"/x","protocol":"ext-authz"`);
    await waitFor(() => logged.test(gate.output()), 5000, 'the decision to be logged');
  });

  it('answers a large body with Connection: close, without reading it to its end', async () => {
    const connection = new RawConnection(port);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const feeder = setInterval(() => { if (!connection.closed) connection.socket.write(chunk); }, 1);
    try {
      const answer = await connection.send(Buffer.from(`POST /authz/upload HTTP/1.1\r\nhost: ${APP}\r\ncontent-length: ${1024 ** 3}\r\n\r\n`));
      expect([answer.status, answer.header('connection')]).toEqual([401, 'close']);
      expect(await connection.whenClosed(3000)).toBe(true);
    } finally {
      clearInterval(feeder);
      connection.close();
    }
  });

  it('counts its decisions in the same metrics, by reason', async () => {
    const metrics = (await httpGet(`${gate.url}/metrics`)).body;
    expect(valueOf(metrics, 'authgear_gate_decisions_total', { reason: 'path_outside_prefix' })).toBeGreaterThan(0);
    expect(valueOf(metrics, 'authgear_gate_decisions_total', { reason: 'allowed' })).toBeGreaterThan(0);
  });
});

describe('SIGTERM with EXT_AUTHZ_PORT', () => {
  it('lets an in-flight check finish, closes the ext_authz listener too, and exits 0', async () => {
    const authgear = await startAuthgearStandIn();
    const port = await freePort();
    const gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, EXT_AUTHZ_PORT: String(port), RESOLVER_TIMEOUT_MS: '8000', SHUTDOWN_TIMEOUT_SECONDS: '20', LOG_LEVEL: 'info' });
    try {
      const cookie = `session=${authgear.sessions.issue('session').value}`;
      authgear.setState('up', 1500);
      const pending = check(port, { ...ENVOY, pathPrefix: '' }, { path: '/slow', host: APP, headers: { cookie } });
      await waitFor(() => authgear.inFlight() > 0, 10_000, 'the resolver call to be in flight');
      const exited = new Promise<number | null>((resolve) => gate.process.on('exit', resolve));
      gate.process.kill('SIGTERM');
      expect((await pending).status).toBe(200);
      expect(await exited).toBe(0);
      await expect(new Promise((resolve, reject) => net.connect(port, '127.0.0.1').on('connect', resolve).on('error', reject))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await gate.stop('SIGKILL');
      await authgear.close();
    }
  });
});
