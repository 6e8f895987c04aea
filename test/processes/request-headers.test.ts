import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startGateProcess, type Spawned } from '../support/processes.js';

let authgear: AuthgearStandIn;
let gate: Spawned & { port: number };

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin });
});
afterAll(async () => {
  await gate?.stop();
  await authgear?.close();
});

/** A raw HTTP/1.1 exchange, for requests no HTTP client would send (repeated headers). */
function rawRequest(port: number, headerLines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => { answer += chunk; });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.write(['GET /auth HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close', 'X-Original-URI: /app', ...headerLines, '', ''].join('\r\n'));
  });
}

describe('headers read from Node on the hot path', () => {
  it('sees every copy of a repeated Authorization, and refuses it rather than pick one', async () => {
    const token = await authgear.accessToken();
    const answer = await rawRequest(gate.port, [`Authorization: Bearer ${token}`, 'Authorization: Bearer other']);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.toLowerCase()).toContain('x-authgear-gate-reason: credentials_malformed');
  });

  it('reads a single Authorization as it is', async () => {
    const token = await authgear.accessToken();
    const answer = await rawRequest(gate.port, [`Authorization: Bearer ${token}`]);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.toLowerCase()).toContain('content-length: 0');
  });
});
