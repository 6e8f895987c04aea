import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/http-server.js';
import { createConnectionDrain } from '../../src/ops/connection-drain.js';
import { RawConnection } from '../support/raw-connection.js';

const REQUEST = Buffer.from('GET /auth HTTP/1.1\r\nHost: gate.test\r\n\r\n');

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server = undefined;
});

/** The production HTTP server around a Hono app that answers 200, /held only once the test calls `held`'s answer. */
async function serve() {
  let arrived: (answer: () => void) => void = () => undefined;
  const held = new Promise<() => void>((resolve) => { arrived = resolve; });
  const app = new Hono();
  app.get('/held', async (c) => {
    await new Promise<void>((resolve) => arrived(resolve));
    return c.body('', 200);
  });
  app.all('*', (c) => c.body('', 200));
  const started = createHttpServer(app, { maxHeaderBytes: 32_768 });
  server = started;
  await new Promise<void>((done) => started.listen(0, '127.0.0.1', done));
  return { server: started, port: (started.address() as AddressInfo).port, held };
}

const refused = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve('connected'); });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });

describe('closing an HTTP listener at shutdown', () => {
  it('answers a request that arrives on an idle keep-alive connection after the listener closed, with Connection: close', async () => {
    const { server, port } = await serve();
    const drain = createConnectionDrain(server, { quietMs: 60_000, sweepMs: 10 });
    const connection = new RawConnection(port);
    expect((await connection.send(REQUEST)).header('connection')).toBe('keep-alive');

    const closed = drain.close();
    // Node's server.close() would have destroyed this idle connection by now.
    const answer = await connection.send(REQUEST);
    expect([answer.status, answer.header('connection')]).toEqual([200, 'close']);
    expect(await connection.whenClosed(5000)).toBe(true);
    await closed;
    expect(await refused(port)).toBe('ECONNREFUSED');
  });

  it('says Connection: close on an answer still being decided when the drain began', async () => {
    const { server, port, held } = await serve();
    const drain = createConnectionDrain(server, { quietMs: 60_000, sweepMs: 10 });
    const connection = new RawConnection(port);
    expect((await connection.send(REQUEST)).header('connection')).toBe('keep-alive');
    const pending = connection.send(Buffer.from('GET /held HTTP/1.1\r\nHost: gate.test\r\n\r\n'));
    const answer = await held;
    drain.drain();
    answer();
    expect((await pending).header('connection')).toBe('close');
    expect(await connection.whenClosed(5000)).toBe(true);
  });

  it('closes a connection on which nothing arrives for the quiet period, and then resolves', async () => {
    const { server, port } = await serve();
    const drain = createConnectionDrain(server, { quietMs: 50, sweepMs: 10 });
    const connection = new RawConnection(port);
    await connection.send(REQUEST);
    await drain.close();
    expect(connection.closed || (await connection.whenClosed(1000))).toBe(true);
  });
});
