// npm run bench: every row of the README's Performance table, in one go. Round after round,
// each scenario runs once, in an order rotated every round, so drift (another job starting,
// the CPU heating up) touches every row alike; the table shows the median of the rounds.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { formatTable, rotation, summarize, targetsMet } from './report.js';
import { startRig } from './rig.js';
import { buildScenarios, type Measurement } from './scenarios.js';

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
  },
});

// The smoke run (npm test) proves the bench works, in seconds; its numbers mean nothing.
const settings = args.smoke
  ? { rounds: 1, seconds: 1, warmup: 0, connections: 4, freshTokens: 50 }
  : { rounds: Number(args.rounds), seconds: Number(args.seconds), warmup: Number(args.warmup), connections: Number(args.connections), freshTokens: Number(args['fresh-tokens']) };

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');
const loadBefore = load();
const log = (message: string) => process.stderr.write(`${message}\n`);

const rig = await startRig({ freshTokens: settings.freshTokens, ...(args.profile ? { profileDir: args.profile } : {}) });
try {
  const only = args.only?.split(',');
  const scenarios = buildScenarios(rig).filter((scenario) => !only || only.includes(scenario.id));
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
  const rows = summarize(scenarios, results);
  const loadAfter = load();
  const conditions =
    `${settings.rounds} rounds × ${settings.seconds} s per scenario, wrk -t1 -c${settings.connections}, loopback; ` +
    `load average ${loadBefore} before, ${loadAfter} after; Node ${process.version}`;
  process.stdout.write(`\n${conditions}\n\n${formatTable(rows)}\n\n`);
  process.stdout.write(targetsMet(rows) ? 'All targets met.\n' : 'Some targets missed (see the Target column).\n');
  if (args.json) writeFileSync(args.json, JSON.stringify({ settings, loadBefore, loadAfter, rows }, null, 2));
} finally {
  await rig.close();
}
