// npm run bench:memory: a million distinct valid tokens through /auth, and the sidecar's RSS
// all along. Each token is verified and cached once, so the cache is full after
// TOKEN_CACHE_MAX_ENTRIES of them; from then on RSS must stay flat under the documented bound.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { accessTokenClaims, startAuthgearStandIn } from '../test/support/authgear-stand-in.js';
import { startGateProcess } from '../test/support/processes.js';
import { memoryBoundMb, startRssSampler } from './proc.js';
import { NGINX_SUBREQUEST_HEADERS } from './scenarios.js';
import { mintTokenBatches } from './tokens.js';

const { values: args } = parseArgs({
  options: {
    tokens: { type: 'string', default: '1000000' },
    'cache-entries': { type: 'string', default: '100000' },
    connections: { type: 'string', default: '32' },
    'max-minutes': { type: 'string', default: '20' },
    // The sidecar's V8 old-space cap, as deploy/ sets it through NODE_OPTIONS; default none.
    'max-old-space-size': { type: 'string' },
  },
});
const total = Number(args.tokens);
const cacheEntries = Number(args['cache-entries']);
const connections = Number(args.connections);
const deadline = Date.now() + Number(args['max-minutes']) * 60_000;
const log = (message: string) => process.stderr.write(`${message}\n`);

const authgear = await startAuthgearStandIn();
const heapCap = args['max-old-space-size'];
const gate = await startGateProcess(
  { AUTHGEAR_ENDPOINT: authgear.origin, LOG_LEVEL: 'warn', TOKEN_CACHE_MAX_ENTRIES: String(cacheEntries) },
  { nodeArgs: heapCap ? [`--max-old-space-size=${Number(heapCap)}`] : [] },
);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const rss = startRssSampler(gate.process.pid!);

function auth(token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${gate.url}/auth`, { agent, headers: { ...NGINX_SUBREQUEST_HEADERS, authorization: `Bearer ${token}` } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
  });
}

async function sendAll(tokens: string[]): Promise<number> {
  let next = 0;
  let refused = 0;
  const worker = async () => {
    while (next < tokens.length) if ((await auth(tokens[next++]!)) !== 200) refused++;
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return refused;
}

const started = Date.now();
const checkpoints: Array<{ sent: number; rssMb: number }> = [{ sent: 0, rssMb: rss.currentMb() }];
let sent = 0;
let refused = 0;
let timedOut = false;
try {
  const claims = accessTokenClaims(authgear.origin, Math.floor(Date.now() / 1000), 3 * 3600);
  for await (const batch of mintTokenBatches({ key: authgear.keys[0]!, claims, total, batchSize: 2000 })) {
    refused += await sendAll(batch);
    sent += batch.length;
    if (sent % Math.max(2000, Math.floor(total / 20 / 2000) * 2000) === 0 || sent === total) {
      checkpoints.push({ sent, rssMb: rss.currentMb() });
      log(`${sent.toLocaleString('en-US')} tokens sent, RSS ${rss.currentMb().toFixed(0)} MB, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    if (Date.now() > deadline) {
      timedOut = true;
      break;
    }
  }
} finally {
  rss.stop();
  agent.destroy();
  await gate.stop();
  await authgear.close();
}

const boundMb = memoryBoundMb(cacheEntries);
const afterFull = checkpoints.filter((point) => point.sent >= 2 * cacheEntries);
const lines = [
  `${sent.toLocaleString('en-US')} distinct valid tokens in ${((Date.now() - started) / 1000).toFixed(0)} s, TOKEN_CACHE_MAX_ENTRIES=${cacheEntries}${heapCap ? `, --max-old-space-size=${heapCap}` : ''}`,
  `RSS at start ${checkpoints[0]!.rssMb.toFixed(0)} MB, peak ${rss.peakMb().toFixed(0)} MB, at the end ${checkpoints.at(-1)!.rssMb.toFixed(0)} MB; bound ${boundMb} MB`,
  ...(afterFull.length > 1 ? [`once the cache was full: ${afterFull.map((point) => `${point.rssMb.toFixed(0)}`).join(', ')} MB`] : []),
];
process.stdout.write(`${lines.join('\n')}\n`);
const failures = [
  ...(refused > 0 ? [`${refused} tokens were refused`] : []),
  ...(timedOut ? [`stopped after --max-minutes with ${sent} of ${total} tokens sent`] : []),
  ...(rss.peakMb() > boundMb ? [`peak RSS ${rss.peakMb().toFixed(0)} MB is over the ${boundMb} MB bound`] : []),
];
if (failures.length > 0) {
  process.stdout.write(`FAILED: ${failures.join('; ')}\n`);
  process.exitCode = 1;
}
