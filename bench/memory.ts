// npm run bench:memory: what the sidecar holds idle (against a bare Node server started the
// same way, and what each optional part adds), what each cached token costs, and RSS under
// load and across repeated loads. Fails past the bounds docs/performance.md states.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startAuthgearStandIn } from '../test/support/authgear-stand-in.js';
import { measureIdle } from './memory-idle.js';
import { measureUnderLoad } from './memory-load.js';
import { MEMORY_BOUNDS } from './memory-bounds.js';
import { measurePerToken } from './memory-tokens.js';


const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    tokens: { type: 'string', default: '100000' },
    users: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '32' },
    'load-seconds': { type: 'string', default: '60' },
    'leak-runs': { type: 'string', default: '5' },
    'leak-seconds': { type: 'string', default: '20' },
    json: { type: 'string' },
    // NODE_OPTIONS of the per-token sidecar, e.g. deploy/base's heap cap; default none.
    'node-options': { type: 'string' },
  },
});
// The smoke run (npm test) proves the bench works; its figures mean nothing and bind nothing.
const smoke = args.smoke;
const settings = smoke
  ? { tokens: 2000, users: 20, connections: 8, loadSeconds: 2, leakRuns: 2, leakSeconds: 1 }
  : { tokens: Number(args.tokens), users: Number(args.users), connections: Number(args.connections), loadSeconds: Number(args['load-seconds']), leakRuns: Number(args['leak-runs']), leakSeconds: Number(args['leak-seconds']) };
const log = (line: string) => process.stderr.write(`${line}\n`);
const mb = (value: number) => value.toFixed(1);

const authgear = await startAuthgearStandIn();
let report;
try {
  const idle = await measureIdle(authgear, log);
  const perToken = await measurePerToken(authgear, { ...settings, nodeOptions: args['node-options'] }, log);
  const load = await measureUnderLoad(authgear, { seconds: settings.loadSeconds, leakRuns: settings.leakRuns, leakSeconds: settings.leakSeconds, connections: settings.connections }, log);
  report = { settings, idle, perToken, load };
} finally {
  await authgear.close();
}
const { idle, perToken, load } = report;
const idleRow = idle.find((row) => row.id === 'idle')!;
const second = load.afterRunsMb[1] ?? load.afterRunsMb[0]!;
const last = load.afterRunsMb.at(-1)!;

const lines = [
  `Node ${process.version}${smoke ? ', smoke run (figures mean nothing)' : ''}`,
  '',
  '| Idle | RSS MB | adds MB |',
  '|---|---:|---:|',
  ...idle.map((row) => `| ${row.name} | ${mb(row.rssMb)} | ${row.id === 'bare' ? '–' : `${row.addsMb >= 0 ? '+' : ''}${mb(row.addsMb)}`} |`),
  '',
  `Per cached token: ${perToken.tokens.toLocaleString('en-US')} distinct tokens of ${perToken.users.toLocaleString('en-US')} users, ${perToken.cacheEntries.toLocaleString('en-US')} entries held; after a full collection RSS ${mb(perToken.rssMb.before)} → ${mb(perToken.rssMb.full)} MB (heap ${mb(perToken.heapMb.before)} → ${mb(perToken.heapMb.full)} MB): ${Math.round(perToken.rssPerEntryBytes)} bytes of RSS and ${Math.round(perToken.heapPerEntryBytes)} of heap per entry; after as many more tokens (evicting) ${mb(perToken.rssMb.afterEviction)} MB; peak while sending ${mb(perToken.peakMb)} MB${args['node-options'] ? ` (NODE_OPTIONS=${args['node-options']})` : ''}`,
  `Under load: idle ${mb(load.idleMb)} MB, peak ${mb(load.peakMb)} MB (${(load.peakMb / load.idleMb).toFixed(2)}x) over ${settings.loadSeconds} s at ${Math.round(load.requestsPerSecond).toLocaleString('en-US')} req/s; after each of ${settings.leakRuns} runs of ${settings.leakSeconds} s and a full collection: ${load.afterRunsMb.map(mb).join(', ')} MB`,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));

const failures = [
  ...(perToken.refused > 0 ? [`${perToken.refused} tokens were refused`] : []),
  ...(load.errors > 0 ? [`${load.errors} requests failed under load`] : []),
  ...(perToken.cacheEntries !== perToken.tokens ? [`the token cache held ${perToken.cacheEntries} entries, not ${perToken.tokens}`] : []),
  ...(smoke
    ? []
    : [
        ...(idleRow.addsMb > MEMORY_BOUNDS.idleOverBareMb ? [`idle RSS is ${mb(idleRow.addsMb)} MB over the bare server, past ${MEMORY_BOUNDS.idleOverBareMb} MB`] : []),
        ...(perToken.rssPerEntryBytes > MEMORY_BOUNDS.perEntryBytes ? [`${Math.round(perToken.rssPerEntryBytes)} bytes of RSS per cached token, past ${MEMORY_BOUNDS.perEntryBytes}`] : []),
        ...(perToken.rssMb.afterEviction > perToken.rssMb.full * MEMORY_BOUNDS.evictionGrowth ? [`RSS grew from ${mb(perToken.rssMb.full)} to ${mb(perToken.rssMb.afterEviction)} MB while the full cache evicted`] : []),
        ...(load.peakMb > load.idleMb * MEMORY_BOUNDS.loadOverIdle ? [`RSS under load peaked at ${mb(load.peakMb)} MB, past ${MEMORY_BOUNDS.loadOverIdle}x idle`] : []),
        ...(last > second * MEMORY_BOUNDS.leakGrowth ? [`RSS after the last run (${mb(last)} MB) is past ${MEMORY_BOUNDS.leakGrowth}x that after the second (${mb(second)} MB)`] : []),
      ]),
];
if (failures.length > 0) {
  process.stdout.write(`FAILED: ${failures.join('; ')}\n`);
  process.exitCode = 1;
}
