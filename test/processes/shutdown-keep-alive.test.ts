import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startGateProcess, type Spawned } from '../support/processes.js';
import { waitFor } from '../support/wait-for.js';

// SIGTERM while gateways keep connections alive and send without pause: no request that
// reached the sidecar may be reset. From SIGTERM on, answers say Connection: close, so
// clients move to new connections, and only connections quiet for a while are closed.

let authgear: AuthgearStandIn;
let gate: Spawned & { url: string; port: number };

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
});
afterAll(async () => {
  await gate?.stop('SIGKILL');
  await authgear.close();
});

interface Sent {
  sentAt: number;
  /** Whether the request went out on a connection that had already carried one (the server had accepted it). */
  reused: boolean;
  status?: number;
  connection?: string;
  error?: string;
}

function send(url: string, agent: http.Agent, token: string): Promise<Sent> {
  return new Promise((resolve) => {
    const sent: Sent = { sentAt: Date.now(), reused: false };
    const request = http.get(`${url}/auth`, { agent, headers: { authorization: `Bearer ${token}`, 'x-original-uri': '/app', 'x-original-method': 'GET', host: 'app.example.test' } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ ...sent, reused: request.reusedSocket, status: response.statusCode, connection: String(response.headers.connection) }));
      response.on('error', (error: NodeJS.ErrnoException) => resolve({ ...sent, reused: request.reusedSocket, error: error.code ?? error.message }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ ...sent, reused: request.reusedSocket, error: error.code ?? error.message }));
  });
}

describe('SIGTERM with 50 keep-alive clients sending without pause', () => {
  it('answers every request it read, with Connection: close from the signal on, and exits 0 in time', { timeout: 60_000 }, async () => {
    gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, LOG_LEVEL: 'info', SHUTDOWN_DELAY_SECONDS: '1', SHUTDOWN_TIMEOUT_SECONDS: '10' });
    const token = await authgear.accessToken();
    let drainingSeenAt = Infinity;
    gate.process.stdout!.on('data', (chunk: Buffer) => {
      if (drainingSeenAt === Infinity && String(chunk).includes('shutting down: draining')) drainingSeenAt = Date.now();
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const results: Sent[] = [];
    let stop = false;
    // Each client sends its next request as soon as the last answer is in, until the sidecar
    // refuses it (its listener is closed) or the test ends.
    const client = async () => {
      while (!stop) {
        const sent = await send(gate.url, agent, token);
        results.push(sent);
        if (sent.error) return;
      }
    };
    const clients = Array.from({ length: 50 }, client);
    await waitFor(() => results.length >= 2000, 20_000, 'the clients to be in full swing');

    const exited = new Promise<number | null>((resolve) => gate.process.once('exit', (code) => resolve(code)));
    const signalledAt = Date.now();
    gate.process.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000))]);
    const exitedAt = Date.now();
    stop = true;
    await Promise.all(clients);
    agent.destroy();

    const failures = results.filter((each) => each.error);
    // A request on a connection that had already carried one reached a connection the sidecar
    // accepted: it must never fail. A new connection may be refused once the listener is
    // closed (ECONNREFUSED), or reset by the kernel if it was still waiting in the listen
    // queue, never accepted, when the listener closed.
    expect(failures.filter((each) => each.reused)).toEqual([]);
    expect(failures.filter((each) => !['ECONNREFUSED', 'ECONNRESET'].includes(each.error!))).toEqual([]);
    expect(results.filter((each) => !each.error && each.status !== 200)).toEqual([]);
    // Every request sent once the sidecar said it was draining was answered Connection: close.
    const afterDrain = results.filter((each) => !each.error && each.sentAt > drainingSeenAt);
    expect(afterDrain.length).toBeGreaterThanOrEqual(50);
    expect(afterDrain.filter((each) => each.connection !== 'close')).toEqual([]);
    expect(code).toBe(0);
    expect(exitedAt - signalledAt).toBeLessThan(10_000);
    expect(gate.output()).toContain('shut down cleanly');
  });
});
