import http from 'node:http';
import net from 'node:net';
import type { CacheObserver } from '../../src/cache/cache.js';
import { loadConfig, type Config } from '../../src/config/load-config.js';
import { createGate, type Gate } from '../../src/gate.js';
import type { DecisionEvent } from '../../src/decision/question.js';
import type { ServedListener } from '../../src/http/served-listener.js';
import { createLogger, type Logger } from '../../src/observability/logging.js';
import type { Tracing } from '../../src/observability/tracing/tracing.js';
import type { AuthgearStandIn } from './authgear-stand-in.js';

export interface TestGate extends Gate {
  config: Config;
  decisions: DecisionEvent[];
  /** Where the gate's PORT listener is served, as server.ts serves it. */
  url: string;
  /** Where the ext_authz listener is served (on its own loopback port), when EXT_AUTHZ_PORT is set. */
  extAuthzPort: number | undefined;
  /** Where the METRICS_PORT listener is served, when that is set. */
  metricsPort: number | undefined;
  /**
   * GET /auth with these headers, the way nginx would send it, over a real socket to the
   * listener production runs. `target` may be origin-form or absolute-form.
   */
  auth(headers?: Record<string, string>, target?: string): Promise<Response>;
  /** Any request to the listener (health, readiness, metrics, /auth with another method). */
  request(target: string, init?: { method?: string; headers?: Record<string, string> }): Promise<Response>;
}

type Sent = { method?: string; headers?: Record<string, string> };

/**
 * The same request written byte for byte, for header values Node's client refuses to send
 * (control characters, non-latin1 text) but a hostile client can: UTF-8 on the wire.
 */
function sendRaw(port: number, target: string, init: Sent): Promise<Response> {
  const lines = [`${init.method ?? 'GET'} ${target} HTTP/1.1`, ...Object.entries(init.headers ?? {}).map(([name, value]) => `${name}: ${value}`), 'connection: close'];
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8')));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = Buffer.concat(chunks).toString('latin1').split('\r\n\r\n');
      const [statusLine = '', ...fields] = head.split('\r\n');
      const headers = new Headers();
      for (const field of fields) headers.append(field.slice(0, field.indexOf(':')), field.slice(field.indexOf(':') + 1).trim());
      resolve(new Response(body || null, { status: Number(statusLine.split(' ')[1]), headers }));
    });
  });
}

/** Sends one request and reads the whole answer into a Fetch Response. */
function send(agent: http.Agent, port: number, target: string, init: Sent): Promise<Response> {
  try {
    for (const [name, value] of Object.entries(init.headers ?? {})) {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    }
  } catch {
    return sendRaw(port, target, init);
  }
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ agent, host: '127.0.0.1', port, path: target, method: init.method ?? 'GET', headers: init.headers ?? {} }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const one of Array.isArray(value) ? value : [value ?? '']) headers.append(name, one);
        }
        const body = Buffer.concat(chunks);
        resolve(new Response(body.length > 0 ? body : null, { status: incoming.statusCode ?? 0, headers }));
      });
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** A gate in this process against the stand-in, served on a loopback port, started and ready (unless `start: false`). */
export async function startTestGate(
  authgear: AuthgearStandIn,
  env: Record<string, string> = {},
  options: { now?: () => number; start?: boolean; cacheObserver?: CacheObserver; logger?: Logger; /** Closed by the test. */ tracing?: Tracing } = {},
): Promise<TestGate> {
  const config = loadConfig({
    AUTHGEAR_ENDPOINT: authgear.origin,
    ...(authgear.origin !== authgear.url ? { AUTHGEAR_INTERNAL_URL: authgear.url } : {}),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const decisions: DecisionEvent[] = [];
  const gate = await createGate(config, {
    logger: options.logger ?? createLogger(config.logLevel, process.stdout),
    ...(options.now ? { now: options.now } : {}),
    ...(options.cacheObserver ? { cacheObserver: options.cacheObserver } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
    onDecision: (event) => decisions.push(event),
  });
  // Every listener the configuration turns on, as server.ts starts them, each on a free port:
  // a configured port only switches it on.
  const served = new Map<string, { listener: ServedListener; port: number }>();
  for (const spec of gate.listeners) {
    const listener = await spec.open();
    served.set(spec.name, { listener, port: await listener.listen('127.0.0.1', 0) });
  }
  const port = served.get('auth')!.port;
  const agent = new http.Agent({ keepAlive: true });
  if (options.start !== false) await gate.start();
  const request = (target: string, init: Sent = {}) => send(agent, port, target, init);
  return {
    ...gate,
    config,
    decisions,
    url: `http://127.0.0.1:${port}`,
    extAuthzPort: served.get('ext-authz')?.port,
    metricsPort: served.get('metrics')?.port,
    request,
    auth: (headers = {}, target = '/auth') =>
      request(target, { headers: { 'x-original-uri': '/app', 'x-original-method': 'GET', host: 'app.example.test', ...headers } }),
    async close() {
      agent.destroy();
      for (const { listener } of served.values()) {
        listener.forceClose();
        await listener.close();
      }
      await gate.close();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
