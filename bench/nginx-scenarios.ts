import { httpGet } from '../test/support/processes.js';
import { OUR_PEER_COMPARISONS } from './peer-scenarios.js';
import { OPEN_PATH } from './nginx-open-location.js';
import type { Rig } from './rig.js';
import { loadScenario, type Scenario } from './scenario.js';

const PROTECTED = '/api/orders?page=2';

/** The sidecar's decisions so far, from its /metrics: how the bench tells whether nginx asked it. */
async function decisionsCounted(gateUrl: string): Promise<number> {
  const { body } = await httpGet(`${gateUrl}/metrics`);
  return [...body.matchAll(/^authgear_gate_decisions_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/**
 * Row 6 twin must be the hop without auth_request: one request there leaves the sidecar's
 * decision count as it was, while one to the shipped public location (which still asks the
 * sidecar, access=public) adds one.
 */
async function probeTwinAsksNoOne(rig: Rig): Promise<void> {
  const before = await decisionsCounted(rig.gate.url);
  await httpGet(`${rig.nginx.url}${OPEN_PATH}orders?page=2`);
  const afterTwin = await decisionsCounted(rig.gate.url);
  await httpGet(`${rig.nginx.url}/healthz`);
  const afterPublic = await decisionsCounted(rig.gate.url);
  if (afterTwin !== before || afterPublic !== afterTwin + 1) {
    throw new Error(`nginx-open: the sidecar counted ${afterTwin - before} decisions for the twin (expected 0), ${afterPublic - afterTwin} for /healthz (expected 1)`);
  }
}

/**
 * Row 6 and its kin: the whole request through nginx, the server CPU being nginx's (master
 * and worker) and that of the sidecar it asks, so it compares with a native peer's.
 */
export function nginxScenarios(rig: Rig): Scenario[] {
  const bearer = { authorization: `Bearer ${rig.cachedToken}` };
  const ours = (auth: { pid: number }) => [rig.nginx.pid, auth.pid];
  return [
    loadScenario(
      {
        id: 'nginx-auth',
        row: '6',
        name: 'nginx proxy with auth_request (JWT, cached)',
        comparisons: [{ against: 'nginx-auth-floor', atLeast: 0.9 }, { against: 'nginx-open' }, ...OUR_PEER_COMPARISONS['nginx-auth']],
        stack: 'nginx-gate',
      },
      { url: `${rig.nginx.url}${PROTECTED}`, headers: bearer, serverPids: ours(rig.gate) },
      'allowed',
      {
        // Proof that auth_request is really in the path: the same URL without a token is refused.
        async probe() {
          const refused = await httpGet(`${rig.nginx.url}${PROTECTED}`);
          if (refused.status !== 401) throw new Error(`nginx-auth: without a token nginx answered ${refused.status}, not 401`);
        },
      },
    ),
    loadScenario(
      {
        id: 'nginx-auth-fresh',
        row: '6 fresh',
        name: 'nginx auth_request, fresh JWT each time',
        comparisons: [{ against: 'nginx-auth' }, ...OUR_PEER_COMPARISONS['nginx-auth-fresh']],
        stack: 'nginx-gate',
      },
      {
        url: `${rig.nginxFresh.url}${PROTECTED}`,
        cycle: { file: rig.freshTokenFile, header: 'Authorization', prefix: 'Bearer ' },
        serverPids: [rig.nginxFresh.pid, rig.uncachedGate.pid],
      },
      'allowed',
      { probeHeaders: { authorization: `Bearer ${rig.freshTokens[0]}` } },
    ),
    loadScenario(
      { id: 'nginx-auth-floor', row: '6 ref', name: 'nginx proxy with auth_request to the floor reference (2 ref)', comparisons: [{ against: 'nginx-open' }] },
      { url: `${rig.nginxToFloor.url}${PROTECTED}`, headers: bearer, serverPids: [rig.nginxToFloor.pid, rig.floor.pid] },
      'allowed',
    ),
    loadScenario(
      { id: 'nginx-open', row: '6 twin', name: 'nginx proxy, same hop without auth_request', comparisons: [] },
      { url: `${rig.nginx.url}${OPEN_PATH}orders?page=2`, headers: bearer, serverPids: ours(rig.gate) },
      'allowed',
      { probe: () => probeTwinAsksNoOne(rig) },
    ),
  ];
}
