import type { Server } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { MAX_KEPT_BODY_BYTES } from '../../src/gateways/request-body.js';
import { createHttpServer } from '../../src/http/http-server.js';
import type { HttpApp } from '../../src/http/served-listener.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { RawConnection } from '../support/raw-connection.js';
import { startTestGate, type TestGate } from '../support/gate.js';
import { REASON_HEADER } from '../support/answers.js';

let authgear: AuthgearStandIn;
let gate: TestGate;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear, { EXT_AUTHZ_PORT: '18081' });
});
afterAll(async () => {
  await gate.close();
  await authgear.close();
});

/** The listener's app served as production serves it, counting what it reads off each connection. */
async function served(app: HttpApp): Promise<{ port: number; bytesRead: () => number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createHttpServer(app, { maxHeaderBytes: 32_768 });
  server.on('connection', (socket: Socket) => sockets.push(socket));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    bytesRead: () => sockets.reduce((sum, socket) => sum + socket.bytesRead, 0),
    close: async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

const appOf = (name: string) => gate.listeners.find((spec) => spec.name === name)!.app!;

const listeners = {
  'ext_authz (EXT_AUTHZ_PORT)': { listener: () => appOf('ext-authz'), head: (length: string) => `POST /upload HTTP/1.1\r\nhost: app.example.test\r\n${length}\r\n\r\n` },
  '/auth (PORT)': { listener: () => appOf('auth'), head: (length: string) => `GET /auth HTTP/1.1\r\nhost: gate\r\nx-original-uri: /upload\r\n${length}\r\n\r\n` },
};

describe.each(Object.entries(listeners))('a forwarded request body on %s', (_name, { listener, head }) => {
  it('up to the bound is read and discarded, and the connection serves the next question', async () => {
    const server = await served(listener());
    const connection = new RawConnection(server.port);
    try {
      const body = 'x'.repeat(MAX_KEPT_BODY_BYTES);
      for (let round = 0; round < 2; round++) {
        const answer = await connection.send(Buffer.from(`${head(`content-length: ${body.length}`)}${body}`));
        expect([answer.status, answer.header(REASON_HEADER), answer.header('content-length'), answer.header('connection')]).toEqual([401, 'credentials_missing', '0', 'keep-alive']);
      }
      expect(connection.closed).toBe(false);
    } finally {
      connection.close();
      await server.close();
    }
  });

  it.each([
    ['a larger Content-Length', `content-length: ${100 * 1024 * 1024}`],
    ['a chunked body (length unknown)', 'transfer-encoding: chunked'],
  ])('with %s is answered with Connection: close and never read to its end', async (_case, length) => {
    const server = await served(listener());
    const connection = new RawConnection(server.port);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const framed = length.startsWith('transfer') ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
    // The client never stops sending: a body without end, as far as the sidecar can tell.
    const feeder = setInterval(() => { if (!connection.closed) connection.socket.write(framed); }, 1);
    try {
      const answer = await connection.send(Buffer.concat([Buffer.from(head(length)), framed]));
      expect([answer.status, answer.header(REASON_HEADER), answer.header('content-length'), answer.header('connection')]).toEqual([401, 'credentials_missing', '0', 'close']);
      expect(await connection.whenClosed(2000)).toBe(true);
      // Nothing is read once the answer is out: what arrived before it, within a few buffers.
      const read = server.bytesRead();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(server.bytesRead()).toBe(read);
      expect(read).toBeLessThan(1024 * 1024);
    } finally {
      clearInterval(feeder);
      connection.close();
      await server.close();
    }
  });
});

it('Node alone would keep reading such a body after the answer (what the bound prevents)', async () => {
  // A Hono app answering without Connection: close.
  const server = await served(new Hono().all('*', (c) => c.body('', 401)));
  const socket = net.connect(server.port, '127.0.0.1');
  const chunk = Buffer.alloc(64 * 1024, 'x');
  socket.write(`POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: ${100 * 1024 * 1024}\r\n\r\n`);
  const feeder = setInterval(() => socket.write(chunk), 1);
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(socket.destroyed).toBe(false);
    expect(server.bytesRead()).toBeGreaterThan(4 * 1024 * 1024);
  } finally {
    clearInterval(feeder);
    socket.destroy();
    await server.close();
  }
});
