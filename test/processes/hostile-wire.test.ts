import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { rawRequest } from '../support/hostile.js';
import { httpGet, startGateProcess, type Spawned } from '../support/processes.js';
import { REASON_HEADER } from '../support/answers.js';

let authgear: AuthgearStandIn;
let gate: Spawned & { port: number; url: string };

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, MAX_TOKEN_BYTES: '4096', MAX_HEADER_BYTES: '16384' });
});
afterAll(async () => {
  await gate?.stop();
  await authgear?.close();
});

/** Writes the bytes, half-closes, and returns everything the server sent before closing. */
function exchange(bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(gate.port, '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    // No setEncoding: data arrives as Buffers (@types/node 26 types it as string | Buffer).
    socket.on('data', (chunk) => chunks.push(chunk as Buffer));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

/** Status and head of every response in what came back (a hostile request may split into several). */
function responses(raw: string): Array<{ status: number; head: string }> {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/g)].map((match) => ({ status: Number(match[1]), head: match[0] }));
}

/**
 * What Node's parser or our app may answer to a request without valid credentials: an
 * interim 100 Continue (Expect: 100-continue) followed by a final answer that is a 4xx,
 * Node's 505 for an HTTP version it does not speak, or the documented fail-closed 503.
 */
const acceptable = (status: number, head: string) =>
  status === 100 || (status >= 400 && status < 500) || status === 505 || (status === 503 && /x-authgear-gate-reason: (keys|resolver)_unavailable/i.test(head));

describe('hostile bytes on the wire to the real process', () => {
  it('never allows, never answers an undocumented 5xx, never leaks unsafe bytes, never crashes', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(rawRequest(authgear.origin), async (bytes) => {
        const raw = await exchange(bytes);
        for (const { status, head } of responses(raw)) {
          seen.set(status, (seen.get(status) ?? 0) + 1);
          expect(acceptable(status, head), `status ${status} for ${JSON.stringify(bytes.toString('latin1'))}`).toBe(true);
          expect(head).toMatch(/^[\x20-\x7e\r\n]*$/);
        }
      }),
      { numRuns: 300 },
    );
    // Both the parser's refusals and our own denials were reached, so the property had teeth.
    expect(seen.get(400)).toBeGreaterThan(10);
    expect(seen.get(401)).toBeGreaterThan(10);
    expect(gate.process.exitCode).toBeNull();
    expect((await httpGet(`${gate.url}/readyz`)).status).toBe(200);
    expect(gate.output()).not.toMatch(/"level":(50|60)/);
  });

  it('answers 431 to a head larger than MAX_HEADER_BYTES, and keeps serving', async () => {
    const raw = await exchange(Buffer.from(`GET /auth HTTP/1.1\r\nHost: a.example\r\nX-Padding: ${'p'.repeat(20_000)}\r\n\r\n`));
    expect(responses(raw).map((r) => r.status)).toEqual([431]);
    expect((await httpGet(`${gate.url}/healthz`)).status).toBe(200);
    expect(gate.process.exitCode).toBeNull();
  });

  it('refuses a token over MAX_TOKEN_BYTES that fits in the head with token_too_large', async () => {
    const token = `${'a'.repeat(3000)}.${'b'.repeat(2000)}.c`;
    const answer = await httpGet(`${gate.url}/auth`, { authorization: `Bearer ${token}`, 'x-original-uri': '/' });
    expect(answer.status).toBe(401);
    expect(answer.headers[REASON_HEADER]).toBe('token_too_large');
  });
});
