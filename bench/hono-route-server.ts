// The transport the sidecar does not ship, measured beside the one it does: /auth as a Hono
// route on @hono/node-server, the same gate and decision behind it, the answer written as a
// Fetch Response. Row "2 hono" of the bench; its gap to row 2 is what Hono's adapter costs
// on the hot path (docs/performance.md).
import { serve, type HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { loadConfig } from '../src/config/load-config.js';
import type { Answer } from '../src/decision/answer/answer.js';
import { createGate } from '../src/gate.js';
import { readOriginalRequest } from '../src/gateways/auth-request.js';
import { nodeHeaderReader } from '../src/gateways/header-reader.js';
import { createLogOutput } from '../src/observability/log-output.js';
import { createLogger } from '../src/observability/logging.js';

const config = loadConfig(process.env);
const gate = createGate(config, { logger: createLogger(config.logLevel, createLogOutput(process.stdout, { onDrop: () => {} })) });
void gate.start();

// A plain record: @hono/node-server hands it to writeHead as it is, where a Headers object or
// a list of pairs is copied into one first (its fastest way out, and still not free).
function toResponse(answer: Answer): Response {
  const headers: Record<string, string | string[]> = { 'content-length': '0' };
  for (const [name, value] of answer.headers) {
    const held = headers[name];
    headers[name] = held === undefined ? value : [...(Array.isArray(held) ? held : [held]), value];
  }
  return new Response(null, { status: answer.status, headers: headers as Record<string, string> });
}

const app = new Hono();
// Headers are read from Node's own request (as the shipped listener reads them), not through
// c.req.header(): that builds a Fetch Request and Headers per request, which alone cost about
// five times the whole shipped decision (550k instructions a request in a first count). What
// is left is Hono's adapter and router, the question the issue asks.
app.get('/auth', (c): Response | Promise<Response> => {
  const { incoming } = c.env as HttpBindings;
  const header = nodeHeaderReader(incoming);
  const queryAt = c.req.url.indexOf('?');
  const answered = gate.decide({ readRequest: () => readOriginalRequest(header, config.gateway), header, query: queryAt === -1 ? '' : c.req.url.slice(queryAt + 1) });
  return answered instanceof Promise ? answered.then((answer: Answer) => toResponse(answer)) : toResponse(answered);
});
app.get('/readyz', (c) => c.body(null, gate.keyStore.isReady() ? 200 : 503));

serve({ fetch: app.fetch, port: config.port, hostname: config.listenHost });
