import http from 'node:http';
import https from 'node:https';
import { UpstreamError } from '../errors.js';
import { createConcurrencyLimit, LimitExceeded } from './concurrency-limit.js';

export interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface UpstreamRequest {
  path: string;
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
}

export type UpstreamName = UpstreamError['upstream'];

/** How a call ended: an answer (2xx or not), or why there was none. */
export type UpstreamOutcome = 'success' | 'http_error' | 'timeout' | 'network_error' | 'too_large' | 'overloaded';

export interface UpstreamCall {
  upstream: UpstreamName;
  outcome: UpstreamOutcome;
  /** From the call, queueing for a slot included. */
  durationMs: number;
  status: number | undefined;
  error: UpstreamError | undefined;
}

export interface UpstreamObserver {
  onCall?(call: UpstreamCall): void;
  onLoad?(inFlight: number, queued: number): void;
}

/** A span per call when tracing is on, so a slow or failed call shows in the request's trace. */
export interface UpstreamTracing {
  /** Opens the span of one call: a child of the decision it is made for, if any. */
  startCall(call: { upstream: UpstreamName; method: string; url: string }): UpstreamCallSpan;
}

export interface UpstreamCallSpan {
  /** Trace Context headers to send (traceparent), so Authgear's logs carry the same trace. */
  readonly headers: Readonly<Record<string, string>>;
  end(outcome: UpstreamOutcome, status: number | undefined): void;
}

export interface UpstreamClient {
  request(upstream: UpstreamName, request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): void;
}

export interface UpstreamClientOptions {
  /** Where to connect: the public origin, or an in-cluster URL. */
  baseUrl: string;
  /** The public origin: Authgear picks the project by Host and redirects any other. */
  publicOrigin: string;
  /** Deadline of a whole call, waiting for a slot included. */
  timeoutMs: number;
  maxInFlight: number;
  maxQueued: number;
  maxBodyBytes?: number;
  observer?: UpstreamObserver;
  tracing?: UpstreamTracing;
}

class CallFailure extends UpstreamError {
  constructor(upstream: UpstreamName, readonly outcome: UpstreamOutcome, message: string, cause?: unknown) {
    super(upstream, message, { cause });
  }
}

/**
 * Keep-alive client for Authgear. node:http rather than fetch because Authgear routes by
 * Host, which fetch forbids setting, and an in-cluster URL needs the public Host.
 */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const base = new URL(options.baseUrl);
  const publicUrl = new URL(options.publicOrigin);
  const transport = base.protocol === 'https:' ? https : http;
  const { maxInFlight } = options;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: maxInFlight, maxFreeSockets: Math.min(maxInFlight, 16) });
  const limit = createConcurrencyLimit({ maxInFlight, maxQueued: options.maxQueued, onChange: options.observer?.onLoad });
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const basePath = base.pathname.replace(/\/+$/, '');

  function exchange(upstream: UpstreamName, req: UpstreamRequest, timeoutMs: number, traceHeaders: Readonly<Record<string, string>> | undefined): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const fail = (outcome: UpstreamOutcome, message: string, cause?: unknown) => reject(new CallFailure(upstream, outcome, message, cause));
      const outgoing = transport.request(
        {
          agent,
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port || undefined,
          method: req.method ?? 'GET',
          path: basePath + req.path,
          servername: publicUrl.hostname,
          headers: { ...req.headers, ...traceHeaders, host: publicUrl.host, 'x-forwarded-proto': publicUrl.protocol.slice(0, -1) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBodyBytes) {
              response.destroy();
              fail('too_large', `${upstream} answer is larger than ${maxBodyBytes} bytes`);
            } else chunks.push(chunk);
          });
          response.on('error', (error) => fail(timedOut ? 'timeout' : 'network_error', `${upstream} answer broke off`, error));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      // One deadline for the whole exchange: connect, send, wait and read.
      const deadline = setTimeout(() => {
        timedOut = true;
        outgoing.destroy(new Error(`timed out after ${options.timeoutMs} ms`));
      }, timeoutMs);
      outgoing.on('close', () => clearTimeout(deadline));
      outgoing.on('error', (error) => fail(timedOut ? 'timeout' : 'network_error', `${upstream} request failed: ${error.message}`, error));
      outgoing.end();
    });
  }

  async function request(upstream: UpstreamName, req: UpstreamRequest): Promise<UpstreamResponse> {
    const started = performance.now();
    const span = options.tracing?.startCall({ upstream, method: req.method ?? 'GET', url: base.origin + basePath + req.path });
    const report = (outcome: UpstreamOutcome, status?: number, error?: UpstreamError) => {
      span?.end(outcome, status);
      options.observer?.onCall?.({ upstream, outcome, durationMs: performance.now() - started, status, error });
    };
    let release: () => void;
    try {
      release = await limit.acquire(options.timeoutMs);
    } catch (error) {
      const outcome = error instanceof LimitExceeded && error.refusal === 'queue_timeout' ? 'timeout' : 'overloaded';
      const failure = new CallFailure(upstream, outcome, `${upstream} not called: ${(error as Error).message}`, error);
      report(outcome, undefined, failure);
      throw failure;
    }
    try {
      const response = await exchange(upstream, req, Math.max(1, options.timeoutMs - (performance.now() - started)), span?.headers);
      report(response.status >= 200 && response.status < 300 ? 'success' : 'http_error', response.status);
      return response;
    } catch (error) {
      if (error instanceof CallFailure) report(error.outcome, undefined, error);
      else span?.end('network_error', undefined);
      throw error;
    } finally {
      release();
    }
  }

  return { request, close: () => agent.destroy() };
}
