import http from 'node:http';
import https from 'node:https';
import { UpstreamError } from '../errors.js';

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

export interface UpstreamClient {
  request(upstream: UpstreamError['upstream'], request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): void;
}

export interface UpstreamClientOptions {
  /** Where to connect: the public origin, or an in-cluster URL. */
  baseUrl: string;
  /** The public origin: Authgear picks the project by Host and redirects any other. */
  publicOrigin: string;
  timeoutMs: number;
  maxSockets?: number;
  maxBodyBytes?: number;
}

/**
 * Keep-alive client for Authgear. node:http rather than fetch because Authgear routes by
 * Host, which fetch forbids setting, and an in-cluster URL needs the public Host.
 */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const base = new URL(options.baseUrl);
  const publicUrl = new URL(options.publicOrigin);
  const transport = base.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, maxFreeSockets: 16 });
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const basePath = base.pathname.replace(/\/+$/, '');

  function request(upstream: UpstreamError['upstream'], req: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const fail = (message: string, cause?: unknown) => reject(new UpstreamError(upstream, message, { cause }));
      const outgoing = transport.request(
        {
          agent,
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port || undefined,
          method: req.method ?? 'GET',
          path: basePath + req.path,
          servername: publicUrl.hostname,
          headers: { ...req.headers, host: publicUrl.host, 'x-forwarded-proto': publicUrl.protocol.slice(0, -1) },
          timeout: options.timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBodyBytes) {
              response.destroy();
              fail(`${upstream} answer is larger than ${maxBodyBytes} bytes`);
            } else chunks.push(chunk);
          });
          response.on('error', (error) => fail(`${upstream} answer broke off`, error));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      // The socket timeout only covers idleness; the deadline bounds the whole exchange.
      const deadline = setTimeout(() => outgoing.destroy(new Error(`timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
      outgoing.on('close', () => clearTimeout(deadline));
      outgoing.on('timeout', () => outgoing.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
      outgoing.on('error', (error) => fail(`${upstream} request failed: ${error.message}`, error));
      outgoing.end();
    });
  }

  return { request, close: () => agent.destroy() };
}
