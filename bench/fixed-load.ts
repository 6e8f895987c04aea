import net from 'node:net';

export interface FixedLoadOptions {
  port: number;
  /** Raw HTTP/1.1 requests, sent in turn (cycling), each on a keep-alive connection. */
  requests: readonly Buffer[];
  /** How many requests in all: a count, not a duration, so every run does the same work. */
  total: number;
  connections: number;
  /** Every answer must carry this status; anything else is an error, not a number. */
  status: number;
}

/** A GET request as wrk sends it (Host first, then the given headers), prebuilt. */
export function rawRequest(port: number, path: string, headers: Record<string, string>): Buffer {
  const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * Sends exactly `total` requests over `connections` keep-alive connections, each connection
 * sending its next request when the previous answer is complete. Every /auth answer and the
 * floor's have Content-Length: 0, so an answer ends with its head; a body would be an error.
 */
export async function sendFixedLoad(options: FixedLoadOptions): Promise<void> {
  const { port, requests, total, status } = options;
  if (requests.length === 0) throw new Error('no requests to send');
  const expected = `HTTP/1.1 ${status} `;
  let sent = 0;
  let answered = 0;
  const next = () => requests[sent++ % requests.length]!;

  const connection = () =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
      let pending: Buffer = Buffer.alloc(0);
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.on('connect', () => (sent < total ? socket.write(next()) : socket.end()));
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (let end = pending.indexOf(HEAD_END); end !== -1; end = pending.indexOf(HEAD_END)) {
          const head = pending.subarray(0, end).toString('latin1');
          pending = pending.subarray(end + HEAD_END.length);
          if (!head.startsWith(expected)) return fail(new Error(`expected ${expected.trim()}, got: ${head.split('\r\n')[0]}`));
          if (!/\r\ncontent-length: 0(\r\n|$)/i.test(head)) return fail(new Error(`answer without Content-Length: 0: ${head}`));
          answered++;
          if (sent < total) socket.write(next());
          else return void socket.end();
        }
      });
      socket.on('error', fail);
      socket.on('close', () => resolve());
    });

  await Promise.all(Array.from({ length: Math.min(options.connections, total) }, connection));
  if (answered !== total) throw new Error(`${answered} of ${total} requests were answered`);
}
