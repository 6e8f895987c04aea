import http from 'node:http';
import { accessTokenClaims, type AuthgearStandIn } from '../test/support/authgear-stand-in.js';
import { startProbedSidecar } from './memory-sidecar.js';
import { startRssSampler } from './proc.js';
import { NGINX_SUBREQUEST_HEADERS } from './scenarios.js';
import { mintTokenBatches } from './tokens.js';

export interface PerTokenOptions {
  /** Distinct tokens that fill the cache: TOKEN_CACHE_MAX_ENTRIES is set to this. */
  tokens: number;
  /** How many users they belong to, in turn. */
  users: number;
  connections: number;
  /** NODE_OPTIONS for the sidecar, e.g. the heap cap deploy/ sets. */
  nodeOptions?: string | undefined;
}

export interface PerTokenResult {
  tokens: number;
  users: number;
  cacheEntries: number;
  /** After a full collection: before the tokens, once the cache held them all, and after as many more (evicting). */
  rssMb: { before: number; full: number; afterEviction: number };
  heapMb: { before: number; full: number; afterEviction: number };
  /** The highest RSS sampled (every 100 ms) while the tokens were sent, collections or not. */
  peakMb: number;
  rssPerEntryBytes: number;
  heapPerEntryBytes: number;
  refused: number;
}

const CLAIM_ROLES = 'https://authgear.com/claims/user/roles';

/**
 * What one cached token costs: RSS and live heap after a full collection, before and after
 * `tokens` distinct valid tokens of `users` users went through /auth (each verified once and
 * kept), divided by the entries held. Then as many tokens again, of other users: the cache is
 * full and evicts, so memory must stay where it was.
 */
export async function measurePerToken(authgear: AuthgearStandIn, options: PerTokenOptions, log: (line: string) => void): Promise<PerTokenResult> {
  const sidecar = await startProbedSidecar({
    AUTHGEAR_ENDPOINT: authgear.origin,
    TOKEN_CACHE_MAX_ENTRIES: String(options.tokens),
    ...(options.nodeOptions ? { NODE_OPTIONS: options.nodeOptions } : {}),
  });
  const rss = startRssSampler(sidecar.pid);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const claims = { ...accessTokenClaims(authgear.origin, Math.floor(Date.now() / 1000), 3 * 3600), [CLAIM_ROLES]: ['reader', 'billing:viewer'] };
  const auth = (token: string) =>
    new Promise<number>((resolve, reject) => {
      const request = http.get(`${sidecar.url}/auth`, { agent, headers: { ...NGINX_SUBREQUEST_HEADERS, authorization: `Bearer ${token}` } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
    });
  let refused = 0;
  const sendAll = async (tokens: string[]) => {
    let next = 0;
    const worker = async () => {
      while (next < tokens.length) if ((await auth(tokens[next++]!)) !== 200) refused++;
    };
    await Promise.all(Array.from({ length: options.connections }, worker));
  };
  const fill = async (phase: string) => {
    let sent = 0;
    for await (const batch of mintTokenBatches({ key: authgear.keys[0]!, claims, total: options.tokens, users: options.users, batchSize: 2000 })) {
      await sendAll(batch);
      sent += batch.length;
      if (sent % 20_000 === 0) log(`per token, ${phase}: ${sent.toLocaleString('en-US')} tokens sent`);
    }
  };
  try {
    // The code of the path compiled and its first garbage made, so only entries differ.
    for await (const batch of mintTokenBatches({ key: authgear.keys[0]!, claims, total: 200, users: 1, processes: 1 })) await sendAll(batch);
    const before = await sidecar.collected();
    await fill('filling the cache');
    const full = await sidecar.collected();
    const cacheEntries = await tokenCacheEntries(sidecar.url);
    await fill('evicting');
    const afterEviction = await sidecar.collected();
    const added = cacheEntries - 200;
    return {
      tokens: options.tokens,
      users: options.users,
      cacheEntries,
      rssMb: { before: before.rssMb, full: full.rssMb, afterEviction: afterEviction.rssMb },
      heapMb: { before: before.heapMb, full: full.heapMb, afterEviction: afterEviction.heapMb },
      rssPerEntryBytes: ((full.rssMb - before.rssMb) * 1048576) / added,
      heapPerEntryBytes: ((full.heapMb - before.heapMb) * 1048576) / added,
      peakMb: rss.peakMb(),
      refused,
    };
  } finally {
    rss.stop();
    agent.destroy();
    await sidecar.stop();
  }
}

/** The token cache's size, as the sidecar reports it on /metrics. */
async function tokenCacheEntries(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^authgear_gate_cache_entries\{cache="token"\} (\d+)$/m.exec(text);
  if (!match) throw new Error('/metrics has no authgear_gate_cache_entries{cache="token"}');
  return Number(match[1]);
}
