import http from 'node:http';
import type { Credential, CredentialClass } from './credentials.js';

/** Everything observed about the requests that started while one phase was current. */
export interface PhaseTally {
  sent: number;
  /** By HTTP status; 0 means no answer (connection error). */
  byStatus: Record<number, number>;
  byClass: Record<CredentialClass, Record<number, number>>;
  /** 200 for a credential that is not valid, or with an identity other than the token's. */
  wrongAllows: number;
  /** A token whose key was loaded got anything but 200 (keys must outlive an Authgear outage). */
  knownRefused: number;
  latenciesMs: number[];
}

export function emptyTally(): PhaseTally {
  return { sent: 0, byStatus: {}, byClass: { known: {}, fresh: {}, session: {}, forged: {}, none: {} }, wrongAllows: 0, knownRefused: 0, latenciesMs: [] };
}

const bump = (counts: Record<number, number>, status: number) => { counts[status] = (counts[status] ?? 0) + 1; };

function send(agent: http.Agent, url: URL, credential: Credential): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent, headers: credential.headers, timeout: 15_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', () => resolve({ status: 0, body: '' }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve({ status: 0, body: '' }));
  });
}

function userSeenByApp(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { headers: Record<string, string> }).headers['x-authgear-user-id'];
  } catch {
    return undefined;
  }
}

export interface LoadOptions {
  url: string;
  concurrency: number;
  pick: () => Credential;
  /** The tally of the phase current when a request starts, or undefined to stop. */
  current: () => PhaseTally | undefined;
}

/** Keeps `concurrency` requests in flight until current() says stop. */
export async function runLoad(options: LoadOptions): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL(options.url);
  const worker = async () => {
    for (let tally = options.current(); tally; tally = options.current()) {
      const credential = options.pick();
      tally.sent++;
      const started = performance.now();
      const { status, body } = await send(agent, url, credential);
      tally.latenciesMs.push(performance.now() - started);
      bump(tally.byStatus, status);
      bump(tally.byClass[credential.class], status);
      if (status === 200 && (credential.sub === undefined || userSeenByApp(body) !== credential.sub)) tally.wrongAllows++;
      if (credential.class === 'known' && status !== 200) tally.knownRefused++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
}
