import type { AuthgearStandIn } from '../test/support/authgear-stand-in.js';
import { startProbedSidecar } from './memory-sidecar.js';
import { startRssSampler } from './proc.js';
import { NGINX_SUBREQUEST_HEADERS } from './scenarios.js';
import { runWrk } from './wrk.js';

export interface LoadOptions {
  /** The load run: RSS is sampled all along it. */
  seconds: number;
  /** The leak check: this many runs, RSS after a full collection after each. */
  leakRuns: number;
  leakSeconds: number;
  connections: number;
}

export interface LoadResult {
  idleMb: number;
  /** The highest RSS sampled (every 100 ms) during the load run. */
  peakMb: number;
  requestsPerSecond: number;
  /** RSS after a full collection after each leak run. */
  afterRunsMb: number[];
  errors: number;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 3000));

/**
 * Row 2 of the bench (/auth, a cached JWT, nginx's subrequest headers) held for `seconds`
 * under wrk, against the same process idle; then `leakRuns` shorter runs, each followed by a
 * full collection: memory that only grows from run to run is a leak.
 */
export async function measureUnderLoad(authgear: AuthgearStandIn, options: LoadOptions, log: (line: string) => void): Promise<LoadResult> {
  const sidecar = await startProbedSidecar({ AUTHGEAR_ENDPOINT: authgear.origin });
  const load = {
    url: `${sidecar.url}/auth`,
    connections: options.connections,
    headers: { ...NGINX_SUBREQUEST_HEADERS, authorization: `Bearer ${await authgear.accessToken({ expiresIn: 3600 })}` },
  };
  try {
    await settle();
    const idleMb = await sidecar.rssMb();
    const sampler = startRssSampler(sidecar.pid);
    const run = await runWrk({ ...load, seconds: options.seconds }).finally(() => sampler.stop());
    log(`under load: ${Math.round(run.requestsPerSecond)} req/s, RSS peak ${sampler.peakMb().toFixed(1)} MB (idle ${idleMb.toFixed(1)} MB)`);
    let errors = run.statusErrors + run.socketErrors;
    const afterRunsMb: number[] = [];
    for (let index = 0; index < options.leakRuns; index++) {
      const leakRun = await runWrk({ ...load, seconds: options.leakSeconds });
      errors += leakRun.statusErrors + leakRun.socketErrors;
      afterRunsMb.push((await sidecar.collected()).rssMb);
      log(`leak check: run ${index + 1}, RSS after a full collection ${afterRunsMb.at(-1)!.toFixed(1)} MB`);
    }
    return { idleMb, peakMb: sampler.peakMb(), requestsPerSecond: run.requestsPerSecond, afterRunsMb, errors };
  } finally {
    await sidecar.stop();
  }
}
