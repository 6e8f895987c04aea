// npm run bench: every row of the Performance table (docs/performance.md), in one go. Round after round,
// each scenario runs once, in an order rotated every round, so drift (another job starting,
// the CPU heating up) touches every row alike; the table shows the median of the rounds.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { nameDumpFile } from './callgrind-names.js';
import { costRows, measureRowCost, type CostSettings, type RowCost } from './cost.js';
import { formatCostTable } from './cost-table.js';
import { formatAlongsideNotes } from './flood.js';
import { formatTable, rotation, summarize, targetsMet } from './report.js';
import { startFixtures } from './fixtures.js';
import { startRig } from './rig.js';
import { formatPeerTable } from './peer-report.js';
import { MOD_OAUTH2_CACHED_TOKENS } from './peers/apache.js';
import { verifyingStacks } from './peer-scenarios.js';
import { buildScenarios, type Measurement } from './scenarios.js';
import { formatVerificationTable, unverifiedStacks, verifyStacks, type StackVerification } from './verification.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    'fresh-tokens': { type: 'string', default: '2000' },
    only: { type: 'string' },
    json: { type: 'string' },
    profile: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    // Instructions per request under callgrind, after the req/s rounds (--cost-only: instead of them).
    cost: { type: 'boolean', default: false },
    'cost-only': { type: 'boolean', default: false },
    'cost-warmup': { type: 'string', default: '30000' },
    'cost-requests': { type: 'string', default: '4000' },
    'cost-tolerance': { type: 'string', default: '0.01' },
    'cost-max-counts': { type: 'string', default: '6' },
    // One connection: the server sees the same sequence of events in every run.
    'cost-connections': { type: 'string', default: '1' },
    'cost-node-args': { type: 'string' },
    // Also names the JavaScript in callgrind's dumps (node --perf-basic-prof), for callgrind_annotate.
    'cost-profile': { type: 'boolean', default: false },
  },
});

// The smoke run (npm test) proves the bench works, in seconds; its numbers mean nothing.
const settings = args.smoke
  ? { rounds: 1, seconds: 1, warmup: 0, connections: 4, freshTokens: 50 }
  : { rounds: Number(args.rounds), seconds: Number(args.seconds), warmup: Number(args.warmup), connections: Number(args.connections), freshTokens: Number(args['fresh-tokens']) };
const costOnly = args['cost-only'];
if (costOnly) Object.assign(settings, { rounds: 0, warmup: 0 });
// The smoke run's counts, like its rates, only prove that the mode works.
const costSettings: CostSettings | undefined =
  args.cost || costOnly
    ? args.smoke
      ? { warmup: 200, requests: 100, tolerance: 1, maxCounts: 2, connections: 1 }
      : {
          warmup: Number(args['cost-warmup']),
          requests: Number(args['cost-requests']),
          tolerance: Number(args['cost-tolerance']),
          maxCounts: Number(args['cost-max-counts']),
          connections: Number(args['cost-connections']),
        }
    : undefined;
const costNodeArgs = [...(args['cost-profile'] ? ['--perf-basic-prof'] : []), ...(args['cost-node-args']?.split(' ').filter(Boolean) ?? [])];

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');
const loadBefore = load();
const log = (message: string) => process.stderr.write(`${message}\n`);

// The cost mode alone needs no server but its own (under valgrind): no rig to start.
const fullRig = costOnly ? undefined : await startRig({ freshTokens: settings.freshTokens, ...(args.profile ? { profileDir: args.profile } : {}) });
const rig = fullRig ?? (await startFixtures({ freshTokens: settings.freshTokens }));
try {
  const only = args.only?.split(',');
  // Before anything is measured: a stack that does not verify tokens has no speed worth comparing.
  if (fullRig) log('verification: every case token to every stack (a few seconds: one case waits for a token to expire)');
  const verification: StackVerification[] = fullRig ? await verifyStacks(verifyingStacks(fullRig), fullRig.authgear) : [];
  const unverified = unverifiedStacks(verification, 'nginx-gate');
  for (const stack of verification.filter((v) => unverified.has(v.id))) log(`verification: ${stack.name} does not verify tokens; its rows are not measured`);
  const scenarios = fullRig
    ? buildScenarios(fullRig).filter((scenario) => (!only || only.includes(scenario.id)) && !(scenario.stack && unverified.has(scenario.stack)))
    : [];
  if (settings.freshTokens <= MOD_OAUTH2_CACHED_TOKENS && scenarios.some((scenario) => scenario.id === 'apache-oauth2-fresh')) {
    log(`note: ${settings.freshTokens} fresh tokens fit mod_oauth2's ${MOD_OAUTH2_CACHED_TOKENS}-entry cache, so row 8 fresh is served from it`);
  }
  for (const scenario of scenarios) await scenario.probe();
  if (settings.warmup > 0) {
    log(`warm-up: ${settings.warmup} s per scenario`);
    for (const scenario of scenarios) await scenario.measure(settings.warmup, settings.connections);
  }
  const results = new Map<string, Measurement[]>(scenarios.map((scenario) => [scenario.id, []]));
  for (let round = 0; round < settings.rounds; round++) {
    for (const scenario of rotation(scenarios, round)) {
      const measurement = await scenario.measure(settings.seconds, settings.connections);
      results.get(scenario.id)!.push(measurement);
      log(`round ${round + 1}/${settings.rounds} ${scenario.id}: ${Math.round(measurement.requestsPerSecond)} req/s`);
    }
  }
  const costs = new Map<string, RowCost>();
  if (costSettings) {
    for (const row of costRows(rig).filter((row) => !only || only.includes(row.id))) {
      log(`cost: ${row.id} under callgrind (${costSettings.warmup} warm-up, counts of ${costSettings.requests})`);
      const started = Date.now();
      const cost = await measureRowCost(rig, row, costSettings, costNodeArgs);
      if (args['cost-profile']) cost.dumps = cost.dumps.map(nameDumpFile);
      log(
        `cost: ${row.id}: ${cost.counts.map((count) => Math.round(count)).join(', ')} instructions per request${cost.settled ? '' : ' (NOT SETTLED)'}, ` +
          `${Math.round(cost.compilerPerRequest)} more in V8's compilers; ${Math.round((Date.now() - started) / 1000)} s; dumps ${cost.dumps.at(-1)}`,
      );
      costs.set(row.id, cost);
    }
  }
  const rows = summarize(scenarios, results, costs);
  const costTable = [...costs].map(([id, cost]) => ({ ...costRows(rig).find((row) => row.id === id)!, ...cost, cycle: undefined, headers: undefined }));
  const loadAfter = load();
  const costConditions = costSettings
    ? `instructions per request: callgrind, server process under node --predictable, V8's compilers apart; ${costSettings.warmup} requests of warm-up, ` +
      `then counts of ${costSettings.requests} requests over ${costSettings.connections} connection(s) until two in a row agree within ${costSettings.tolerance * 100}% (their mean)`
    : undefined;
  if (costOnly) {
    process.stdout.write(`\n${costConditions}; Node ${process.version}\n\n${formatCostTable(costTable)}\n\n`);
  } else {
    const conditions =
      `${settings.rounds} rounds × ${settings.seconds} s per scenario, wrk -t1 -c${settings.connections}, loopback; ` +
      `load average ${loadBefore} before, ${loadAfter} after; Node ${process.version}`;
    const notes = formatAlongsideNotes(rows).map((note) => `${note}\n\n`).join('');
    process.stdout.write(`\n${conditions}${costConditions ? `\n${costConditions}` : ''}\n\n${formatTable(rows)}\n\n${notes}`);
    process.stdout.write(targetsMet(rows) ? 'All targets met.\n' : 'Some targets missed (see the Target column).\n');
    const peerTable = formatPeerTable(rows);
    if (peerTable) process.stdout.write(`\nAgainst the native peers (medians above; CPU: all processes of each side):\n\n${peerTable}\n`);
    if (verification.length > 0) {
      process.stdout.write(`\nWhat each stack accepted and refused (the bench's own requests, before measuring):\n\n${formatVerificationTable(verification)}\n`);
    }
  }
  const json = costOnly
    ? { costSettings, costs: costTable }
    : { settings, ...(costSettings ? { costSettings, costs: costTable } : {}), loadBefore, loadAfter, rows, verification };
  if (args.json) writeFileSync(args.json, JSON.stringify(json, null, 2));
} finally {
  await rig.close();
}
