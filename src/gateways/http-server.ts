import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { REASON_HEADER } from '../decision/answer/answer.js';
import type { DenialCode } from '../decision/outcome.js';
import type { RequestListener } from './listener.js';

export interface HttpServerOptions {
  /** Node answers 431 itself to a larger request head, before any of our code. */
  maxHeaderBytes: number;
}

// Gateways keep connections to us open between requests (nginx `keepalive`, 60 s by default;
// Go's and so Traefik's and Caddy's transports, 90 s). Closing an idle connection earlier
// races a request the gateway is already sending on it, which it then fails (nginx: a 500).
const KEEP_ALIVE_TIMEOUT_MS = 95_000;

const PARSER_REFUSALS: Record<string, { status: number; text: string; code: DenialCode }> = {
  HPE_HEADER_OVERFLOW: { status: 431, text: 'Request Header Fields Too Large', code: 'request_too_large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, text: 'Request Timeout', code: 'request_timeout' },
};
const UNPARSABLE = { status: 400, text: 'Bad Request', code: 'request_unparsable' } as const;

/**
 * What Node's parser refuses never reaches a listener; Node would answer a bare 400. This
 * answer names its reason like every other refusal, and closes the connection, whose
 * remaining bytes can no longer be trusted to start a request. As Node does, it is only
 * written on a connection that has sent nothing yet: on a reused one an answer may be
 * half-written, and a second one would corrupt it.
 */
function answerParserRefusal(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || socket.bytesWritten > 0 || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const refusal = PARSER_REFUSALS[error.code ?? ''] ?? UNPARSABLE;
  socket.end(
    `HTTP/1.1 ${refusal.status} ${refusal.text}\r\nContent-Length: 0\r\nConnection: close\r\n` +
      `Cache-Control: no-store\r\n${REASON_HEADER}: ${refusal.code}\r\n\r\n`,
  );
}

/** How many Host lines the request has, counted on the raw list (Node's own object keeps one). */
function hostLines(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let at = 0; at < rawHeaders.length; at += 2) {
    const name = rawHeaders[at]!;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}

const HOST_REQUIRED: DenialCode = 'host_required';

/**
 * RFC 9112 3.2: an HTTP/1.1 request without exactly one Host line gets a 400, on every
 * listener, whatever else it carries (an X-Forwarded-Host, an absolute-form target). An
 * HTTP/1.0 one too: no gateway sends one without Host, and no route could read its URL. Node
 * would answer a missing one with a bare 400 itself; ours names its reason like every other.
 */
function requireOneHost(listener: RequestListener): RequestListener {
  return function hostChecked(incoming: IncomingMessage, outgoing: ServerResponse) {
    if (hostLines(incoming.rawHeaders) === 1) return listener(incoming, outgoing);
    outgoing.writeHead(400, ['content-length', '0', 'cache-control', 'no-store', REASON_HEADER, HOST_REQUIRED]).end();
  };
}

/** An HTTP server for one of the sidecar's listeners, as production and the tests run it. */
export function createHttpServer(listener: RequestListener, options: HttpServerOptions): Server {
  const server = createServer({ maxHeaderSize: options.maxHeaderBytes, requireHostHeader: false }, requireOneHost(listener));
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on('clientError', answerParserRefusal);
  return server;
}
