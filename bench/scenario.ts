// A row of the bench: what it loads (wrk against one URL) and whose CPU it counts, checked
// before it is measured.
import { httpGet } from '../test/support/processes.js';
import { readTreeCpuSeconds } from './proc.js';
import { runWrk, type LoadOptions } from './wrk.js';

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
}

export interface Comparison {
  against: string;
  /** The target: this row's rate divided by the other's, at least. */
  atLeast?: number;
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

type Expect = 'allowed' | 'denied';

export function loadScenario(
  base: Omit<Scenario, 'probe' | 'measure'>,
  target: Omit<LoadOptions, 'seconds' | 'connections'> & { serverPids?: number[] },
  expect: Expect,
  extra: { probeHeaders?: Record<string, string>; probe?: () => Promise<void> } = {},
): Scenario {
  return {
    ...base,
    async probe() {
      const answer = await httpGet(target.url, { ...target.headers, ...extra.probeHeaders });
      const wanted = expect === 'allowed' ? 200 : 401;
      if (answer.status !== wanted) throw new Error(`${base.id}: probe answered ${answer.status}, expected ${wanted}`);
      await extra.probe?.();
    },
    async measure(seconds, connections) {
      const { serverPids } = target;
      const cpuBefore = serverPids ? readTreeCpuSeconds(serverPids) : 0;
      const result = await runWrk({ ...target, seconds, connections });
      const serverCpuUs = serverPids ? ((readTreeCpuSeconds(serverPids) - cpuBefore) * 1e6) / result.requests : undefined;
      const wrong = expect === 'allowed' ? result.statusErrors : result.requests - result.statusErrors;
      if (wrong > 0 || result.socketErrors > 0 || result.requests === 0) {
        throw new Error(`${base.id}: ${wrong} of ${result.requests} answers were not ${expect}, ${result.socketErrors} socket errors${result.socketErrors > 0 ? ` (${result.socketErrorKinds})` : ''}`);
      }
      return { ...result, ...(serverCpuUs !== undefined ? { serverCpuUs } : {}) };
    },
  };
}
