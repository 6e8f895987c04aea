import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Denial } from '../../src/decision/outcome.js';
import type { AuthDecision, AuthQuestion, Outcome } from '../../src/decision/question.js';
import { createAuthRequestGateway } from '../../src/gateways/auth-request.js';
import { createGateApp } from '../../src/http/gate-app.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate, type TestGate } from '../support/gate.js';
import { httpGet, startGateProcess, type Spawned } from '../support/processes.js';
import { REASON_HEADER } from '../support/answers.js';

/** The gate's Hono app on a real Node server, with a decision the test controls. */
async function appServer(decide: AuthDecision) {
  const writeErrors: unknown[] = [];
  const app = createGateApp({
    decide,
    authRequests: createAuthRequestGateway('auto'),
    readiness: () => ({ ready: true, checks: {} }),
    metrics: undefined,
    onWriteError: (error) => writeErrors.push(error),
  });
  const server = createHttpServer(app, { maxHeaderBytes: 16_384 });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, writeErrors, close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }) };
}

const allow = (headers: Array<readonly [string, string]>): Outcome => ({ kind: 'allow', code: 'allowed', headers, authentication: undefined, rule: undefined });

describe('the /auth route of the gate\'s Hono app', () => {
  it('answers /auth (with or without a query, any method) from the decision, and no other path', async () => {
    const questions: string[] = [];
    const server = await appServer(({ header, query }: AuthQuestion) => {
      questions.push(`${query} ${header('x-original-uri')}`);
      return allow([['x-authgear-user-id', 'u1']]);
    });
    try {
      const plain = await httpGet(`${server.url}/auth`, { 'x-original-uri': '/a' });
      expect(plain.status).toBe(200);
      expect(plain.headers['x-authgear-user-id']).toBe('u1');
      expect(plain.headers['content-length']).toBe('0');
      expect(plain.headers['transfer-encoding']).toBeUndefined();
      expect((await httpGet(`${server.url}/auth?max_auth_age=60`, { 'x-original-uri': '/b' })).status).toBe(200);
      expect(questions).toEqual([' /a', 'max_auth_age=60 /b']);
      for (const path of ['/auth/', '/authz', '/AUTH', '/']) {
        const other = await httpGet(`${server.url}${path}`);
        expect([other.status, other.body], path).toEqual([404, 'not found']);
      }
      expect((await httpGet(`${server.url}/healthz`)).body).toBe('ok');
      expect(questions).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('reads absolute-form targets like origin-form ones, the target\'s authority standing for Host', async () => {
    const questions: string[] = [];
    const server = await appServer(({ header, query }: AuthQuestion) => {
      questions.push(`${header('host')} ${query}`);
      return allow([]);
    });
    const sendTarget = (target: string) =>
      new Promise<{ status: number; body: string }>((done, fail) => {
        const { port } = new URL(server.url);
        const outgoing = http.request({ host: '127.0.0.1', port, path: target, headers: { host: 'client-chosen.test' }, agent: false }, (incoming) => {
          let body = '';
          incoming.on('data', (chunk) => { body += chunk; });
          incoming.on('end', () => done({ status: incoming.statusCode ?? 0, body }));
        });
        outgoing.on('error', fail);
        outgoing.end();
      });
    try {
      expect((await sendTarget('http://gate.internal:8080/auth?roles=admin')).status).toBe(200);
      expect((await sendTarget('HTTP://gate.internal/auth')).status).toBe(200);
      expect((await sendTarget('http://gate.internal')).body).toBe('not found');
      expect((await sendTarget('http://gate.internal/healthz?x=1')).body).toBe('ok');
      expect(questions).toEqual(['gate.internal:8080 roles=admin', 'gate.internal ']);
    } finally {
      await server.close();
    }
  });

  it('keeps a repeated header (two Set-Cookie lines) and answers a decision that had to wait', async () => {
    const denial = new Denial('session_invalid', 'dead', { headers: [['set-cookie', 'a=; Max-Age=0'], ['set-cookie', 'b=; Max-Age=0']] });
    const outcome: Outcome = { kind: 'deny', denial, challenge: 'Bearer realm="test"' };
    const server = await appServer(() => new Promise((done) => setTimeout(() => done(outcome), 5)));
    try {
      const refused = await httpGet(`${server.url}/auth`);
      expect(refused.status).toBe(401);
      expect(refused.headers['set-cookie']).toEqual(['a=; Max-Age=0', 'b=; Max-Age=0']);
      expect(refused.headers['content-length']).toBe('0');
    } finally {
      await server.close();
    }
  });

  it('gives each of many answers decided in one turn to its own request, and pipelined ones in order', async () => {
    // Answers leave in batches (answer-flush): more connections than a batch holds, some
    // decisions waiting, and three requests pipelined on one connection.
    const server = await appServer(({ header }: AuthQuestion) => {
      const uri = header('x-original-uri') ?? '';
      const outcome = allow([['x-authgear-user-id', uri.slice(1)]]);
      return uri.endsWith('7') ? new Promise((done) => setImmediate(() => done(outcome))) : outcome;
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 80 });
    try {
      const asked = Array.from({ length: 80 }, (_, index) => `u${index}`);
      const answers = await Promise.all(asked.map((user) => new Promise<string | undefined>((done, fail) => {
        http.get(`${server.url}/auth`, { agent, headers: { 'x-original-uri': `/${user}` } }, (response) => {
          response.resume();
          response.on('end', () => done(response.headers['x-authgear-user-id'] as string | undefined));
        }).on('error', fail);
      })));
      expect(answers).toEqual(asked);
      const pipelined = await new Promise<string>((done, fail) => {
        const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk.toString('latin1');
          if (received.split('HTTP/1.1 200').length === 4) socket.end(() => done(received));
        });
        socket.on('error', fail);
        socket.write(['p1', 'p2', 'p3'].map((user) => `GET /auth HTTP/1.1\r\nHost: gate\r\nX-Original-URI: /${user}\r\n\r\n`).join(''));
      });
      expect([...pipelined.matchAll(/x-authgear-user-id: (\w+)/g)].map((match) => match[1])).toEqual(['p1', 'p2', 'p3']);
      expect(server.writeErrors).toEqual([]);
    } finally {
      agent.destroy();
      await server.close();
    }
  });

  it('keeps answering when clients reset their connections while their answers are held', async () => {
    const server = await appServer(() => allow([['x-authgear-user-id', 'u1']]));
    const port = Number(new URL(server.url).port);
    try {
      await Promise.all(Array.from({ length: 50 }, () => new Promise<void>((done) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write('GET /auth HTTP/1.1\r\nHost: gate\r\n\r\n', () => socket.resetAndDestroy());
        });
        socket.on('close', () => done());
        socket.on('error', () => undefined);
      })));
      const after = await httpGet(`${server.url}/auth`);
      expect([after.status, after.headers['x-authgear-user-id']]).toEqual([200, 'u1']);
    } finally {
      await server.close();
    }
  });

  it('fails closed with a 503 when Node refuses a header the decision built, or the decision rejects', async () => {
    for (const decide of [
      (() => allow([['x-authgear-user-id', 'u1\r\nx-injected: yes']])) as AuthDecision,
      (() => Promise.reject(new Error('broken'))) as AuthDecision,
      (() => { throw new Error('thrown'); }) as AuthDecision,
    ]) {
      const server = await appServer(decide);
      try {
        const answer = await httpGet(`${server.url}/auth`);
        expect(answer.status).toBe(503);
        expect(answer.headers[REASON_HEADER]).toBe('internal_error');
        expect(answer.headers['x-authgear-user-id']).toBeUndefined();
        expect(answer.headers['x-injected']).toBeUndefined();
        expect(server.writeErrors).toHaveLength(1);
      } finally {
        await server.close();
      }
    }
  });
});

// The tests drive an in-process gate through the same Hono apps the built server runs: the
// same question must get the same status and headers from both, or the harness tests another path.
describe('the test harness and the shipped process agree', () => {
  let authgear: AuthgearStandIn;
  let inProcess: TestGate;
  let shipped: Spawned & { url: string };
  const env = { LOGIN_REDIRECT_URI: 'https://app.example.test/callback', CLIENT_IDS: 'test-client', RETURN_TO_HOSTS: 'app.example.test' };

  beforeAll(async () => {
    authgear = await startAuthgearStandIn();
    inProcess = await startTestGate(authgear, env);
    shipped = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, ...env });
  });
  afterAll(async () => {
    await shipped?.stop();
    await inProcess?.close();
    await authgear?.close();
  });

  const comparable = (headers: Iterable<[string, string | string[] | undefined]>) =>
    [...headers]
      .filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name))
      .flatMap(([name, value]) => (Array.isArray(value) ? value.map((each) => `${name}: ${each}`) : [`${name}: ${value}`]))
      .sort();

  it('for allowed, refused, malformed, browser and session questions', async () => {
    const session = authgear.sessions.issue('session').value;
    const base = { 'x-original-uri': '/orders?page=2', 'x-original-method': 'GET', 'x-original-host': 'app.example.test', 'x-forwarded-proto': 'https' };
    const questions: Array<[string, Record<string, string>]> = [
      ['/auth', { ...base, authorization: `Bearer ${await authgear.accessToken()}` }],
      ['/auth', base],
      ['/auth', { ...base, accept: 'text/html' }],
      ['/auth', { ...base, authorization: `Bearer ${await authgear.accessToken({ expiresIn: -600 })}` }],
      ['/auth', { ...base, authorization: 'Bearer not a token' }],
      ['/auth', { ...base, 'x-original-uri': 'no-slash' }],
      ['/auth', { ...base, cookie: `session=${session}` }],
      ['/auth', { ...base, cookie: 'session=unknown' }],
      ['/auth?max_auth_age=1', { ...base, authorization: `Bearer ${await authgear.accessToken({ claims: { auth_time: 1 } })}` }],
    ];
    const statuses: string[] = [];
    for (const [path, headers] of questions) {
      const fromHarness = await inProcess.request(path, { headers: { host: 'gate.internal', ...headers } });
      const fromNode = await httpGet(`${shipped.url}${path}`, { host: 'gate.internal', ...headers });
      const label = `${path} ${JSON.stringify(headers).slice(0, 120)}`;
      expect(fromNode.status, label).toBe(fromHarness.status);
      statuses.push(`${fromNode.status} ${fromNode.headers[REASON_HEADER] ?? ""}`);
      const harnessHeaders: Array<[string, string | string[]]> = [...fromHarness.headers].filter(([name]) => name !== 'set-cookie');
      if (fromHarness.headers.getSetCookie().length) harnessHeaders.push(['set-cookie', fromHarness.headers.getSetCookie()]);
      expect(comparable(Object.entries(fromNode.headers)), label).toEqual(comparable(harnessHeaders));
    }
    expect(statuses).toEqual([
      '200 ', '401 credentials_missing', '401 credentials_missing', '401 token_expired', '401 credentials_malformed',
      '401 request_malformed', '200 ', '401 session_invalid', '401 auth_too_old',
    ]);
  });
});
