import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { DenialCode } from '../errors.js';
import { REASON_HEADER } from '../gateways/http-answer.js';
import { parseRequestTarget, type RequestTarget } from '../gateways/request-target.js';

type RequestListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void;

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

/**
 * What Hono's Node adapter refuses before any route: a Host or a target it cannot make a URL
 * of (`evil/host`, a `\` in the path, a broken absolute form). It would answer a bare 400;
 * ours names its reason, as the parser's refusals do. The routes themselves read the request
 * as sent, never that URL.
 */
function unparsable(): Response {
  return new Response(null, { status: 400, headers: { 'content-length': '0', 'cache-control': 'no-store', [REASON_HEADER]: 'request_unparsable' } });
}

const SENT_TARGET = Symbol('the request target as sent, parsed');
// What Hono may route on: a plain path, nothing a URL parser reads otherwise.
const ROUTABLE_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

type Targeted = IncomingMessage & { [SENT_TARGET]?: RequestTarget };

/** The request target as the client sent it (the routes read this; Hono saw a routing URL). */
export function sentTarget(incoming: IncomingMessage): RequestTarget {
  return (incoming as Targeted)[SENT_TARGET] ?? parseRequestTarget(incoming.url ?? '');
}

/**
 * Hono routes on the path alone. @hono/node-server makes a URL of the Host header and the
 * target, and refuses what it cannot parse (`evil/host`, a `\` in the path) with a bare 400,
 * before any route; on the ext_authz port both are the original request's, to be judged
 * (request_malformed) like any other, never refused unjudged. So the adapter is handed an
 * absolute-form target with a fixed authority and the path when it is a plain one (any other
 * routes nowhere on PORT, and to the catch-all on EXT_AUTHZ_PORT), and the routes read the
 * target as sent.
 */
function routeOnPathAlone(listener: RequestListener): RequestListener {
  return function routed(incoming, outgoing) {
    const target = parseRequestTarget(incoming.url ?? '');
    (incoming as Targeted)[SENT_TARGET] = target;
    incoming.url = `http://gate${ROUTABLE_PATH.test(target.path) && !DOT_SEGMENT.test(target.path) ? target.path : '/.unroutable'}`;
    listener(incoming, outgoing);
  };
}

/** A Hono app, whatever bindings its routes read (Node's own request and response). */
export type HonoApp = { fetch: Hono['fetch'] } | { fetch: Parameters<typeof getRequestListener>[0] };

/**
 * The app as a Node request listener, through @hono/node-server. The adapter leaves the
 * process's global Request and Response alone, and leaves an unread body to the routes
 * (they bound what they read).
 */
export function honoListener(app: HonoApp): RequestListener {
  return routeOnPathAlone(getRequestListener(app.fetch, { overrideGlobalObjects: false, autoCleanupIncoming: false, errorHandler: unparsable }));
}

/** An HTTP server for one of the sidecar's listeners, as production and the tests run it. */
export function createHttpServer(app: HonoApp, options: HttpServerOptions): Server {
  const server = createServer({ maxHeaderSize: options.maxHeaderBytes, requireHostHeader: false }, requireOneHost(honoListener(app)));
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on('clientError', answerParserRefusal);
  return server;
}
