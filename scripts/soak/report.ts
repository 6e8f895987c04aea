import type { PhaseTally } from './load.js';

export interface PhaseReport {
  name: string;
  sent: number;
  byStatus: Record<number, number>;
  byClass: PhaseTally['byClass'];
  wrongAllows: number;
  knownRefused: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

export interface SoakReport {
  phases: PhaseReport[];
  sent: number;
  byStatus: Record<number, number>;
  wrongAllows: number;
  crashes: string[];
  gateExitCode: number | null;
  metrics: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export function phaseReport(name: string, tally: PhaseTally): PhaseReport {
  const sorted = Float64Array.from(tally.latenciesMs).sort();
  const values = Array.from(sorted);
  return {
    name,
    sent: tally.sent,
    byStatus: tally.byStatus,
    byClass: tally.byClass,
    wrongAllows: tally.wrongAllows,
    knownRefused: tally.knownRefused,
    latencyMs: { p50: round(percentile(values, 50)), p90: round(percentile(values, 90)), p99: round(percentile(values, 99)), max: round(values.at(-1) ?? 0) },
  };
}

const statuses = (counts: Record<number, number>) =>
  Object.entries(counts).map(([status, count]) => `${status === '0' ? 'no-answer' : status}:${count}`).join(' ') || '-';

export function formatReport(report: SoakReport): string {
  const lines = [
    'wrong = 200 for a credential that is not valid or with another identity; known!200 = a token of a loaded key refused',
    `${'phase'.padEnd(18)}${'sent'.padStart(8)}  ${'answers by status'.padEnd(34)}${'wrong'.padStart(6)}${'known!200'.padStart(10)}${'p50'.padStart(8)}${'p90'.padStart(8)}${'p99'.padStart(9)}${'max'.padStart(9)}  ms`,
  ];
  for (const phase of report.phases) {
    const { p50, p90, p99, max } = phase.latencyMs;
    const byClass = Object.entries(phase.byClass).map(([name, counts]) => `${name} ${statuses(counts)}`).join(' | ');
    lines.push(
      `${phase.name.padEnd(18)}${String(phase.sent).padStart(8)}  ${statuses(phase.byStatus).padEnd(34)}${String(phase.wrongAllows).padStart(6)}${String(phase.knownRefused).padStart(10)}${String(p50).padStart(8)}${String(p90).padStart(8)}${String(p99).padStart(9)}${String(max).padStart(9)}`,
      `${''.padEnd(18)}  by credential: ${byClass}`,
    );
  }
  lines.push(
    '',
    `requests sent: ${report.sent}`,
    `answers by status: ${statuses(report.byStatus)}   (nginx turns the sidecar's fail-closed 503 into 500)`,
    `wrong allows: ${report.wrongAllows} (must be 0)`,
    `crashes: ${report.crashes.length} (must be 0)${report.crashes.length ? `: ${report.crashes.join('; ')}` : ''}`,
    `sidecar exit code after SIGTERM: ${report.gateExitCode} (must be 0)`,
    `sidecar metrics: ${Object.entries(report.metrics).map(([name, value]) => `${name}=${value}`).join(' ')}`,
  );
  return lines.join('\n');
}
