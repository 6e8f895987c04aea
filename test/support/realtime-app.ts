import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/**
 * A protected app with a WebSocket echo (any path) and a server-sent event stream (any path
 * under /events/). It keeps the headers of every upgrade request it accepted, to show what
 * the gateway passed on, and holds each stream open after its first event until `release()`,
 * so a test can see that event arrive while the stream is still open.
 */
export async function startRealtimeApp() {
  const upgrades: http.IncomingHttpHeaders[] = [];
  const waiting: Array<() => void> = [];
  const sockets = new WebSocketServer({ noServer: true });
  sockets.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));

  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/events/')) return void res.writeHead(404, { 'content-length': '0' }).end();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(`data: hello ${req.headers['x-authgear-user-id']}\n\n`);
    waiting.push(() => res.end('data: bye\n\n'));
  });
  server.on('upgrade', (req, socket, head) => {
    upgrades.push(req.headers);
    sockets.handleUpgrade(req, socket, head, (client) => sockets.emit('connection', client, req));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));

  return {
    port: (server.address() as AddressInfo).port,
    upgrades,
    /** Ends every event stream held open so far, with a last event. */
    release: () => { for (const end of waiting.splice(0)) end(); },
    close: () => new Promise<void>((done) => {
      for (const client of sockets.clients) client.terminate();
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}
