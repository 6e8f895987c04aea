// A row of the bench: what it loads (wrk against one URL) and whose CPU it counts, checked
// before it is measured.
import { REASON_HEADER } from '../src/gateways/http-answer.js';
import { httpGet } from '../test/support/processes.js';
import { readTreeCpuSeconds } from './proc.js';
import { runWrk, type LoadOptions, type LoadResult } from './wrk.js';

export interface Measurement {
  requestsPerSecond: number;
  /** Absent for the in-process jose row, which has no requests. */
  p50Ms?: number;
  p99Ms?: number;
  /**
   * CPU time the server side spent per request, all its processes and threads (nginx's and
   * the sidecar's, or a peer's): far less sensitive to a busy machine than req/s.
   */
  serverCpuUs?: number;
  /** What a second load, run at the same time against the same server, got (row 2 flood). */
  alongside?: AlongsideMeasurement;
}

export interface AlongsideMeasurement {
  requestsPerSecond: number;
  /**
   * Its requests per second of the server's CPU (both loads'): priced at its own row's CPU
   * per request, the share of that CPU it took, whatever the machine left the server.
   */
  requestsPerCpuSecond: number;
  /** The server's CPU over the run, in cores: whether it had a core to itself. */
  serverCores: number;
}

export interface Comparison {
  against: string;
  /** The target: this row's rate divided by the other's, at least. */
  atLeast?: number;
  /**
   * The other row's rate is first scaled by the share of the server's CPU the alongside load
   * left (1 − its requests × this row's CPU per request / the server's CPU): a load that only
   * takes its CPU share slows this row's by that share and no more.
   */
  lessCpuOf?: string;
}

export interface Scenario {
  id: string;
  row: string;
  name: string;
  comparisons: Comparison[];
  p99UnderMs?: number;
  /** The verifying stack this row measures (verification.ts): a stack that does not verify is not measured. */
  stack?: string;
  /** One request, checked, before anything is measured: a row that answers wrongly is an error, not a number. */
  probe(): Promise<void>;
  measure(seconds: number, connections: number): Promise<Measurement>;
}

export type Expect = 'allowed' | 'denied';

export function loadScenario(
  base: Omit<Scenario, 'probe' | 'measure'>,
  target: Omit<LoadOptions, 'seconds' | 'connections'> & { serverPids?: number[] },
  expect: Expect,
  extra: {
    probeHeaders?: Record<string, string>;
    /** The X-Authgear-Gate-Reason the probe's refusal must carry. */
    probeReason?: string;
    probe?: () => Promise<void>;
    /**
     * What wrk cannot see in a status (a 401's reason): started before each run and its check
     * called after it, both outside its CPU count.
     */
    watch?: () => Promise<(result: LoadResult) => Promise<void>>;
  } = {},
): Scenario {
  return {
    ...base,
    async probe() {
      const answer = await httpGet(target.url, { ...target.headers, ...extra.probeHeaders });
      const wanted = expect === 'allowed' ? 200 : 401;
      if (answer.status !== wanted) throw new Error(`${base.id}: probe answered ${answer.status}, expected ${wanted}`);
      const reason = answer.headers[REASON_HEADER];
      if (extra.probeReason !== undefined && reason !== extra.probeReason) throw new Error(`${base.id}: probe refused for ${reason}, expected ${extra.probeReason}`);
      await extra.probe?.();
    },
    async measure(seconds, connections) {
      const { serverPids } = target;
      const check = await extra.watch?.();
      const cpuBefore = serverPids ? readTreeCpuSeconds(serverPids) : 0;
      const result = await runWrk({ ...target, seconds, connections });
      const serverCpuUs = serverPids ? ((readTreeCpuSeconds(serverPids) - cpuBefore) * 1e6) / result.requests : undefined;
      checkAnswers(base.id, result, expect);
      await check?.(result);
      return { ...result, ...(serverCpuUs !== undefined ? { serverCpuUs } : {}) };
    },
  };
}

/** Every answer of a run as expected, and no socket errors: anything else is an error, not a number. */
export function checkAnswers(id: string, result: LoadResult, expect: Expect): void {
  const wrong = expect === 'allowed' ? result.statusErrors : result.requests - result.statusErrors;
  if (wrong > 0 || result.socketErrors > 0 || result.requests === 0) {
    throw new Error(`${id}: ${wrong} of ${result.requests} answers were not ${expect}, ${result.socketErrors} socket errors${result.socketErrors > 0 ? ` (${result.socketErrorKinds})` : ''}`);
  }
}
