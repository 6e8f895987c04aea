import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './processes.js';

export interface Sent {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** What the echo app received, when the request reached it. */
  app: { method: string; url: string; headers: Record<string, string> } | undefined;
}

/**
 * A request with its path sent exactly as given (no URL parsing: `#`, `\`, `..`, raw bytes
 * stay), through a gateway in front of the echo app.
 */
export function send(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Sent> {
  const { hostname, port } = new URL(base);
  return new Promise((done, fail) => {
    const request = http.request({ hostname, port, path, method, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('latin1');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => {
        let app: Sent['app'];
        try {
          const parsed = JSON.parse(body);
          if (parsed && typeof parsed.headers === 'object' && typeof parsed.url === 'string') app = parsed;
        } catch { /* not the echo app's answer */ }
        done({ status: response.statusCode ?? 0, headers: response.headers, app });
      });
    });
    request.on('error', fail);
    request.end();
  });
}

/** Writes a policy file for the sidecar; returns its path. */
export function policyFile(yaml: string): string {
  const file = join(tempDir('edge-policy'), 'policy.yaml');
  writeFileSync(file, yaml);
  return file;
}
