import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { freePort, startGateProcess, type Spawned } from '../support/processes.js';

// RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without exactly one Host,
// whatever else the request says (an X-Forwarded-Host, an absolute-form target). HTTP/1.0
// gets the same: no gateway sends one without Host.
let authgear: AuthgearStandIn;
let gate: Spawned & { port: number };
let ports: Record<'auth' | 'extAuthz' | 'metrics', number>;
let token: string;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  const [extAuthz, metrics] = [await freePort(), await freePort()];
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, EXT_AUTHZ_PORT: String(extAuthz), METRICS_PORT: String(metrics) });
  ports = { auth: gate.port, extAuthz, metrics };
  token = await authgear.accessToken();
});
afterAll(async () => {
  await gate?.stop();
  await authgear?.close();
});

/** Sends the lines as one request and returns the status line and head of the answer. */
function ask(port: number, lines: string[]): Promise<{ status: number; head: string }> {
  return new Promise((resolve, reject) => {
    // Written, not half-closed: Node closes a connection whose client ended it before an answer that takes a tick.
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${[...lines, 'Connection: close'].join('\r\n')}\r\n\r\n`));
    let raw = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => { raw += chunk; });
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(raw.split(' ')[1]), head: raw.split('\r\n\r\n')[0]! }));
  });
}

const FORWARD_AUTH = ['X-Forwarded-Method: GET', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: app.example.test', 'X-Forwarded-Uri: /orders'];

describe('an HTTP/1.1 request without exactly one Host line', () => {
  it('is a 400 host_required on /auth, even with a valid token and every forwarded header', async () => {
    const bearer = `Authorization: Bearer ${token}`;
    // The same request with its Host is allowed: only the missing Host is wrong.
    expect((await ask(ports.auth, ['GET /auth HTTP/1.1', 'Host: gate.internal', ...FORWARD_AUTH, bearer])).status).toBe(200);
    for (const request of [
      ['GET /auth HTTP/1.1', ...FORWARD_AUTH, bearer],
      ['GET http://gate.internal/auth HTTP/1.1', ...FORWARD_AUTH, bearer],
      ['GET /auth HTTP/1.1', 'Host: gate.internal', 'Host: gate.internal', ...FORWARD_AUTH, bearer],
      ['GET /auth HTTP/1.1', 'X-Original-URI: /orders', 'X-Original-Host: app.example.test', bearer],
    ]) {
      const answer = await ask(ports.auth, request);
      expect(answer.status, request.join(' | ')).toBe(400);
      expect(answer.head).toMatch(/\r\nx-authgear-gate-reason: host_required\r\n/i);
    }
  });

  it('is a 400 host_required on every other listener and route', async () => {
    for (const [port, target] of [[ports.auth, '/healthz'], [ports.auth, '/readyz'], [ports.extAuthz, '/orders'], [ports.metrics, '/metrics']] as const) {
      const answer = await ask(port, [`GET ${target} HTTP/1.1`, `Authorization: Bearer ${token}`]);
      expect([answer.status, /x-authgear-gate-reason: host_required/i.test(answer.head)], `${port} ${target}`).toEqual([400, true]);
    }
  });

  it('is the same for HTTP/1.0, whose Host is what every route reads', async () => {
    expect((await ask(ports.auth, ['GET /healthz HTTP/1.0'])).status).toBe(400);
    expect((await ask(ports.auth, ['GET /healthz HTTP/1.0', 'Host: gate.internal'])).status).toBe(200);
  });
});
