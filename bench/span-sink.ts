import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Where the traced sidecar's OTLP exporter posts: reads each export whole and answers 200
 * with an empty body, as a Collector does, deciding nothing, so that the row measures the
 * sidecar's tracing and not a receiver's decoding.
 */
export async function startSpanSink(): Promise<{ url: string; exports: () => number; close(): Promise<void> }> {
  let exports = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => exports,
    close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}
