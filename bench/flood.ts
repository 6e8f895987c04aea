// Row 2 flood (#23): a flood of junk tokens may slow the answers to everyone else by the share
// of the sidecar's CPU it takes, and no more. Both loads run at once against one sidecar, each
// on half the connections; the CPU the flood took is its requests priced at what one costs
// alone (row 3 junk), so anything it costs beyond that (a queue, a lock, a cache it churns)
// shows as cached answers lost.
import { readTreeCpuSeconds } from './proc.js';
import { refusedOnlyFor } from './refusals.js';
import { rate, type RowSummary } from './report.js';
import { checkAnswers, type AlongsideMeasurement, type Scenario } from './scenario.js';
import { runWrk, type LoadOptions } from './wrk.js';

type Target = Omit<LoadOptions, 'seconds' | 'connections'>;

export interface FloodOptions {
  /** The sidecar both loads ask, whose CPU is counted. */
  server: { url: string; pid: number };
  /** What is measured: every answer an allow. */
  measured: Target;
  /** What floods the sidecar meanwhile: every answer a refusal for `reason`. */
  flood: Target & { reason: string };
  /** Each load's own probe, before anything is measured. */
  probe(): Promise<void>;
}

export function floodScenario(base: Omit<Scenario, 'probe' | 'measure'>, options: FloodOptions): Scenario {
  const { server, measured, flood } = options;
  const watch = refusedOnlyFor(`${base.id} (flood)`, server.url, flood.reason);
  return {
    ...base,
    probe: options.probe,
    async measure(seconds, connections) {
      const half = Math.max(1, Math.floor(connections / 2));
      const check = await watch();
      const cpuBefore = readTreeCpuSeconds([server.pid]);
      const started = performance.now();
      const [answers, floods] = await Promise.all([
        runWrk({ ...measured, seconds, connections: half }),
        runWrk({ ...flood, seconds, connections: Math.max(1, connections - half) }),
      ]);
      const cpuSeconds = readTreeCpuSeconds([server.pid]) - cpuBefore;
      const wallSeconds = (performance.now() - started) / 1000;
      checkAnswers(base.id, answers, 'allowed');
      checkAnswers(`${base.id} (flood)`, floods, 'denied');
      await check(floods);
      const alongside: AlongsideMeasurement = {
        requestsPerSecond: floods.requestsPerSecond,
        requestsPerCpuSecond: floods.requests / cpuSeconds,
        serverCores: cpuSeconds / wallSeconds,
      };
      return {
        requestsPerSecond: answers.requestsPerSecond,
        p50Ms: answers.p50Ms,
        p99Ms: answers.p99Ms,
        // Per answer of either load: the server's CPU is one, whoever it was spent on.
        serverCpuUs: (cpuSeconds * 1e6) / (answers.requests + floods.requests),
        alongside,
      };
    },
  };
}

/** What the Ratio and Target columns cannot say: what ran alongside, its CPU share, the expected rate. */
export function formatAlongsideNotes(rows: readonly RowSummary[]): string[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const notes: string[] = [];
  for (const row of rows) {
    for (const comparison of row.comparisons) {
      if (comparison.cpuLeft === undefined || comparison.lessCpuOf === undefined) continue;
      const baseline = byId.get(comparison.against)!;
      const priced = byId.get(comparison.lessCpuOf)!;
      const alongside = row.alongside!;
      const expected = baseline.requestsPerSecond * comparison.cpuLeft;
      notes.push(
        `Row ${row.row}: row ${priced.row}'s requests ran alongside at ${rate(alongside.requestsPerSecond)} req/s; priced at its ${priced.serverCpuUs!.toFixed(1)} µs each, ` +
          `they took ${percent(1 - comparison.cpuLeft)} of the sidecar's CPU (${alongside.serverCores.toFixed(2)} cores in all${pricedSplit(row, baseline, priced)}). ` +
          `Expected: row ${baseline.row}'s ${rate(baseline.requestsPerSecond)} req/s × ${comparison.cpuLeft.toFixed(2)} = ${rate(expected)} req/s; ` +
          `measured ${rate(row.requestsPerSecond)} (${comparison.ratio.toFixed(2)} × expected${comparison.atLeast !== undefined ? `, target ≥ ${comparison.atLeast}` : ''}).`,
      );
    }
  }
  return notes;
}

const percent = (share: number) => `${(share * 100).toFixed(0)}%`;

/**
 * The same share from both loads' answers, each at its own row's price, leaving out the CPU
 * measured: where the two disagree, a price was off (a busy machine), and the share of the
 * CPU left, a small difference of large figures, is off several times more.
 */
function pricedSplit(row: RowSummary, baseline: RowSummary, priced: RowSummary): string {
  if (baseline.serverCpuUs === undefined || priced.serverCpuUs === undefined) return '';
  const flood = row.alongside!.requestsPerSecond * priced.serverCpuUs;
  return `; at both rows' prices their answers split it ${percent(flood / (flood + row.requestsPerSecond * baseline.serverCpuUs))} to the flood`;
}
