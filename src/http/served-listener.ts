import type { Server } from 'node:http';
import { createConnectionDrain } from '../ops/connection-drain.js';
import { createHttpServer, type HonoApp, type HttpServerOptions } from './http-server.js';

/** One listening part of the sidecar, HTTP or gRPC, as server.ts starts and stops it. */
export interface ServedListener {
  /** Binds the port (0: any); resolves with the port bound, rejects when it cannot. */
  listen(host: string, port: number): Promise<number>;
  /** Shutdown has begun: answers from now on close their connection. */
  drain(): void;
  /** Stops accepting; resolves once every request in flight was answered. */
  close(): Promise<void>;
  /** The shutdown deadline passed: drops every connection. */
  forceClose(): void;
}

/** A Hono app, as an HTTP listener serves it. */
export type HttpApp = HonoApp;

/** A Hono app served over HTTP/1.1, drained without resetting a request that reached it. */
export function serveHttp(app: HttpApp, options: HttpServerOptions): ServedListener & { server: Server } {
  const server = createHttpServer(app, options);
  const connections = createConnectionDrain(server);
  return {
    server,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    drain: () => connections.drain(),
    close: () => connections.close(),
    forceClose: () => server.closeAllConnections(),
  };
}
