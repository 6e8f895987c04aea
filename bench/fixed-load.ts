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

  // One keep-alive connection until it closes: resolves with the request it left unanswered.
  const connection = (first: Buffer | undefined) =>
    new Promise<Buffer | undefined>((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
      let pending: Buffer = Buffer.alloc(0);
      let inFlight: Buffer | undefined;
      const send = (request: Buffer) => socket.write((inFlight = request));
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.on('connect', () => (first ? send(first) : sent < total ? send(next()) : socket.end()));
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (let end = pending.indexOf(HEAD_END); end !== -1; end = pending.indexOf(HEAD_END)) {
          const head = pending.subarray(0, end).toString('latin1');
          pending = pending.subarray(end + HEAD_END.length);
          if (!head.startsWith(expected)) return fail(new Error(`expected ${expected.trim()}, got: ${head.split('\r\n')[0]}`));
          if (!/\r\ncontent-length: 0(\r\n|$)/i.test(head)) return fail(new Error(`answer without Content-Length: 0: ${head}`));
          answered++;
          inFlight = undefined;
          if (sent < total) send(next());
          else return void socket.end();
        }
      });
      // A reset with a request in flight is retried on a new connection (see below).
      socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' && inFlight ? undefined : fail(error)));
      socket.on('close', () => resolve(inFlight));
    });

  // Under valgrind on a loaded machine the server can be descheduled for longer than its
  // keep-alive timeout, and closes the connection just as the next request arrives: that
  // request is sent again on a new connection (counted once), up to 5 times in a row.
  async function keepSending() {
    let unanswered = await connection(undefined);
    for (let failures = 1; unanswered; failures++) {
      if (failures > 5) throw new Error('the server keeps closing connections with a request in flight');
      const before = answered;
      unanswered = await connection(unanswered);
      if (answered > before) failures = 0;
    }
  }

  await Promise.all(Array.from({ length: Math.min(options.connections, total) }, keepSending));
  if (answered !== total) throw new Error(`${answered} of ${total} requests were answered`);
}
