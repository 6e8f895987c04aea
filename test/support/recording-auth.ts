import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * Stands where the sidecar would, to see exactly what a gateway sends it and to answer what
 * a test chooses: a gateway config is tested against every answer the sidecar may give,
 * whatever the decision behind it.
 */
export async function startRecordingAuth(answer: (request: RecordedRequest) => { status: number; headers?: Record<string, string> }) {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(request);
    const { status, headers = {} } = answer(request);
    res.writeHead(status, { ...headers, 'content-length': '0' }).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}
