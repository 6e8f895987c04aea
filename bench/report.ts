import type { RowCost } from './cost.js';
import type { AlongsideMeasurement, Measurement, Scenario } from './scenario.js';

export interface ComparisonSummary {
  against: string;
  againstRow: string;
  ratio: number;
  atLeast?: number;
  met?: boolean;
  /** Comparison.lessCpuOf: the row pricing the alongside load, and the CPU share it left (the ratio is to the baseline times this). */
  lessCpuOf?: string;
  lessCpuOfRow?: string;
  cpuLeft?: number;
}

/** One row of the table: the median of every round, and how it compares with its baselines. */
export interface RowSummary {
  id: string;
  row: string;
  name: string;
  requestsPerSecond: number;
  p50Ms?: number;
  p99Ms?: number;
  serverCpuUs?: number;
  /** The medians of the load run alongside (row 2 flood). */
  alongside?: AlongsideMeasurement;
  /** req/s of each round, in round order, to show the spread. */
  rounds: number[];
  comparisons: ComparisonSummary[];
  p99UnderMs?: number;
  p99Met?: boolean;
  /** Under callgrind (--cost): instructions per request of the server process, and each count. */
  instructionsPerRequest?: number;
  instructionCounts?: number[];
  instructionsSettled?: boolean;
  /** V8's compilers per request (not in instructionsPerRequest): recompilation that never stops. */
  compilerInstructionsPerRequest?: number;
  instructionDumps?: string[];
  /** The floor's instructions per request over this row's: comparable with the req/s ratio. */
  instructionRatioToFloor?: number;
}

/** The row every /auth row's instructions are compared with. */
export const COST_FLOOR = 'floor';

/** Round r runs the scenarios starting at the r-th, so no scenario always runs first or last. */
export function rotation<T>(items: readonly T[], round: number): T[] {
  const start = round % Math.max(1, items.length);
  return [...items.slice(start), ...items.slice(0, start)];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const medianOf = (measurements: Measurement[], pick: (m: Measurement) => number | undefined) => {
  const values = measurements.map(pick).filter((value): value is number => value !== undefined);
  return values.length > 0 ? median(values) : undefined;
};

/** The share of the server's CPU an alongside load left to the measured one, its requests priced at `cpuUsEach`. */
export const cpuLeft = (alongside: AlongsideMeasurement, cpuUsEach: number) => 1 - (alongside.requestsPerCpuSecond * cpuUsEach) / 1e6;

function alongsideMedians(measurements: Measurement[]): { alongside?: AlongsideMeasurement } {
  const all = measurements.flatMap((m) => (m.alongside ? [m.alongside] : []));
  if (all.length === 0) return {};
  const of = (pick: (a: AlongsideMeasurement) => number) => median(all.map(pick));
  return { alongside: { requestsPerSecond: of((a) => a.requestsPerSecond), requestsPerCpuSecond: of((a) => a.requestsPerCpuSecond), serverCores: of((a) => a.serverCores) } };
}

export function summarize(
  scenarios: readonly Scenario[],
  results: ReadonlyMap<string, Measurement[]>,
  costs: ReadonlyMap<string, RowCost> = new Map(),
): RowSummary[] {
  const floorCost = costs.get(COST_FLOOR)?.instructionsPerRequest;
  const rows = scenarios.map((scenario): RowSummary => {
    const measurements = results.get(scenario.id) ?? [];
    const p99Ms = medianOf(measurements, (m) => m.p99Ms);
    const cost = costs.get(scenario.id);
    return {
      id: scenario.id,
      row: scenario.row,
      name: scenario.name,
      requestsPerSecond: medianOf(measurements, (m) => m.requestsPerSecond) ?? 0,
      p50Ms: medianOf(measurements, (m) => m.p50Ms),
      p99Ms,
      serverCpuUs: medianOf(measurements, (m) => m.serverCpuUs),
      ...alongsideMedians(measurements),
      rounds: measurements.map((m) => m.requestsPerSecond),
      comparisons: [] as ComparisonSummary[],
      ...(scenario.p99UnderMs !== undefined ? { p99UnderMs: scenario.p99UnderMs, p99Met: p99Ms !== undefined && p99Ms < scenario.p99UnderMs } : {}),
      ...(cost
        ? {
            instructionsPerRequest: cost.instructionsPerRequest,
            instructionCounts: cost.counts,
            instructionsSettled: cost.settled,
            compilerInstructionsPerRequest: cost.compilerPerRequest,
            instructionDumps: cost.dumps,
            ...(floorCost !== undefined ? { instructionRatioToFloor: floorCost / cost.instructionsPerRequest } : {}),
          }
        : {}),
    };
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const scenario of scenarios) {
    const row = byId.get(scenario.id)!;
    for (const { against, atLeast, lessCpuOf } of scenario.comparisons) {
      const baseline = byId.get(against);
      const pricing = lessCpuOf === undefined ? undefined : byId.get(lessCpuOf);
      // A partial run (--only) compares only the rows it has.
      if (!baseline || (lessCpuOf !== undefined && (pricing?.serverCpuUs === undefined || !row.alongside))) continue;
      const left = pricing ? { lessCpuOf: pricing.id, lessCpuOfRow: pricing.row, cpuLeft: cpuLeft(row.alongside!, pricing.serverCpuUs!) } : undefined;
      const ratio = row.requestsPerSecond / (baseline.requestsPerSecond * (left?.cpuLeft ?? 1));
      row.comparisons.push({ against, againstRow: baseline.row, ratio, ...left, ...(atLeast !== undefined ? { atLeast, met: ratio >= atLeast } : {}) });
    }
  }
  return rows;
}

export const rate = (value: number) => Math.round(value).toLocaleString('en-US');
const fixed = (digits: number) => (value: number | undefined) => (value === undefined ? '–' : value.toFixed(digits));
const ms = fixed(2);
const us = fixed(1);

/** A baseline scaled by the CPU an alongside load left: by how much in the ratio, by whose pricing in the target. */
function baselineOf(c: ComparisonSummary, cell: 'ratio' | 'target'): string {
  if (c.cpuLeft === undefined) return `row ${c.againstRow}`;
  return cell === 'ratio' ? `(${c.cpuLeft.toFixed(2)} × row ${c.againstRow})` : `(row ${c.againstRow} × CPU share row ${c.lessCpuOfRow} left)`;
}

function targetCell(row: RowSummary): string {
  const parts = row.comparisons.filter((c) => c.atLeast !== undefined).map((c) => `≥ ${c.atLeast} × ${baselineOf(c, 'target')}`);
  if (row.p99UnderMs !== undefined) parts.push(`p99 < ${row.p99UnderMs} ms`);
  if (parts.length === 0) return '';
  const met = row.comparisons.every((c) => c.met !== false) && row.p99Met !== false;
  return `${parts.join(', ')}: ${met ? 'met' : '**missed**'}`;
}

/** Instructions per request, and the floor's over this row's in brackets. */
function costCell(row: RowSummary): string {
  if (row.instructionsPerRequest === undefined) return '–';
  const ratio = row.instructionRatioToFloor !== undefined && row.id !== COST_FLOOR ? ` (${row.instructionRatioToFloor.toFixed(2)})` : '';
  return `${rate(row.instructionsPerRequest)}${ratio}${row.instructionsSettled === false ? ' unsettled' : ''}`;
}

const byRow = (a: RowSummary, b: RowSummary) => a.row.localeCompare(b.row, 'en', { numeric: true });

/** The results as a Markdown table: readable in a terminal, pasted as is into docs/performance.md. */
export function formatTable(rows: readonly RowSummary[]): string {
  // The instructions column only when they were counted (--cost).
  const withCost = rows.some((row) => row.instructionsPerRequest !== undefined);
  const costHeader = withCost ? ' instructions/req (floor ÷ row) |' : '';
  const lines = [`| Row | Scenario | req/s | p50 ms | p99 ms | server CPU µs/req |${costHeader} Ratio | Target |`, `|---|---|---:|---:|---:|---:|${withCost ? '---:|' : ''}---|---|`];
  for (const row of [...rows].sort(byRow)) {
    const ratios = row.comparisons.map((c) => `${c.ratio.toFixed(2)} × ${baselineOf(c, 'ratio')}`).join('; ');
    const cost = withCost ? ` ${costCell(row)} |` : '';
    lines.push(`| ${row.row} | ${row.name} | ${rate(row.requestsPerSecond)} | ${ms(row.p50Ms)} | ${ms(row.p99Ms)} | ${us(row.serverCpuUs)} |${cost} ${ratios} | ${targetCell(row)} |`);
  }
  return lines.join('\n');
}

export const targetsMet = (rows: readonly RowSummary[]) =>
  rows.every((row) => row.comparisons.every((c) => c.met !== false) && row.p99Met !== false);
