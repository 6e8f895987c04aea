import { sumOf } from '../../test/support/prometheus.js';
import { createCredentialPool } from './credentials.js';
import { emptyTally, runLoad, type PhaseTally } from './load.js';
import { PHASES, startRotating } from './phases.js';
import { formatReport, phaseReport, type SoakReport } from './report.js';
import { startSoakStack } from './stack.js';

export interface SoakOptions {
  phaseSeconds: number;
  concurrency: number;
  /** Hard cap on requests over the whole run. */
  maxRequests: number;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sustained load through real nginx while faults are applied phase by phase; the load never
 * pauses between phases. Bounded by phaseSeconds per phase and maxRequests overall.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const stack = await startSoakStack();
  let stopped: { gateExitCode: number | null } | undefined;
  try {
    const credentials = await createCredentialPool(stack.authgear);
    const phases = PHASES;
    const tallies: PhaseTally[] = phases.map(() => emptyTally());
    let current = 0;
    let started = 0;
    let stop = false;
    const load = runLoad({
      url: `${stack.nginx.url}/api/soak`,
      concurrency: options.concurrency,
      pick: credentials.pick,
      current: () => (stop || ++started > options.maxRequests ? undefined : tallies[current]),
    });

    for (const [index, phase] of phases.entries()) {
      current = index;
      await phase.enter(stack);
      const stopRotating = phase.rotateEveryMs ? startRotating(credentials, phase.rotateEveryMs) : undefined;
      const until = Date.now() + options.phaseSeconds * 1000;
      while (Date.now() < until && started <= options.maxRequests && stack.crashes().length === 0) await sleep(100);
      await stopRotating?.();
      log(`${phase.name}: ${tallies[index]!.sent} requests`);
    }
    stop = true;
    await load;
    stack.authgear.setState('up');
    const metrics = await stack.metrics();
    const crashes = stack.crashes();
    stopped = await stack.stop();
    const reports = phases.map((phase, index) => phaseReport(phase.name, tallies[index]!));
    const byStatus: Record<number, number> = {};
    for (const report of reports) for (const [status, count] of Object.entries(report.byStatus)) byStatus[Number(status)] = (byStatus[Number(status)] ?? 0) + count;
    return {
      phases: reports,
      sent: reports.reduce((sum, report) => sum + report.sent, 0),
      byStatus,
      wrongAllows: reports.reduce((sum, report) => sum + report.wrongAllows, 0),
      crashes,
      gateExitCode: stopped.gateExitCode,
      metrics: {
        jwks_fetch_success: sumOf(metrics, 'authgear_gate_jwks_fetches_total', { outcome: 'success' }),
        jwks_fetch_failure: sumOf(metrics, 'authgear_gate_jwks_fetches_total', { outcome: 'failure' }),
        upstream_errors: sumOf(metrics, 'authgear_gate_upstream_errors_total'),
        stale_key_answers: sumOf(metrics, 'authgear_gate_stale_answers_total', { source: 'keys' }),
        decisions: sumOf(metrics, 'authgear_gate_decisions_total'),
        resolver_calls: sumOf(metrics, 'authgear_gate_upstream_duration_seconds_count', { upstream: 'resolver' }),
        redis_errors: sumOf(metrics, 'authgear_gate_redis_errors_total'),
        redis_ready: sumOf(metrics, 'authgear_gate_redis_state', { state: 'ready' }),
      },
    };
  } finally {
    if (!stopped) await stack.stop().catch(() => undefined);
  }
}

export { formatReport };
