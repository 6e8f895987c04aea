import type { RunningPeer } from './peers/peer-process.js';
import type { Rig } from './rig.js';
import { loadScenario, type Comparison, type Scenario } from './scenario.js';
import type { VerifyingStack } from './verification.js';

const PROTECTED = '/api/orders?page=2';
const OPEN = '/open/orders?page=2';

/**
 * Our rows behind nginx against the native peers' rows that do the same work: the same token
 * every request against the same, a fresh token against a fresh one. Only ratios: no target.
 */
export const OUR_PEER_COMPARISONS: Record<'nginx-auth' | 'nginx-auth-fresh', Comparison[]> = {
  'nginx-auth': [{ against: 'haproxy-cached' }, { against: 'apache-oauth2-cached' }, { against: 'apache-openidc-cached' }],
  'nginx-auth-fresh': [{ against: 'haproxy-fresh' }, { against: 'apache-oauth2-fresh' }, { against: 'apache-openidc-fresh' }],
};

/** Each stack the verification step asks, ours first; a peer's clock leeway is none, as configured. */
export function verifyingStacks(rig: Rig): VerifyingStack[] {
  return [
    { id: 'nginx-gate', name: 'nginx + authgear-gate', url: `${rig.nginx.url}${PROTECTED}`, leewaySeconds: Number(rig.sidecarEnv.gate.CLOCK_SKEW_SECONDS) },
    { id: 'haproxy', name: 'HAProxy jwt_verify', url: `${rig.haproxy.url}${PROTECTED}`, leewaySeconds: 0 },
    { id: 'apache-oauth2', name: 'Apache mod_oauth2', url: `${rig.apacheOauth2.url}${PROTECTED}`, leewaySeconds: 0 },
    { id: 'apache-openidc', name: 'Apache mod_auth_openidc', url: `${rig.apacheOpenidc.url}${PROTECTED}`, leewaySeconds: 0 },
  ];
}

/** The same token every request, and a fresh one from the bench's list every request. */
function verifiedRows(rig: Rig, peer: RunningPeer, stack: string, row: string, name: string, hop: string): Scenario[] {
  const serverPids = [peer.pid];
  const url = `${peer.url}${PROTECTED}`;
  return [
    loadScenario(
      { id: `${stack}-cached`, row, name: `${name}, the same JWT each time`, comparisons: [{ against: hop }], stack },
      { url, headers: { authorization: `Bearer ${rig.cachedToken}` }, serverPids },
      'allowed',
    ),
    loadScenario(
      { id: `${stack}-fresh`, row: `${row} fresh`, name: `${name}, fresh JWT each time`, comparisons: [{ against: hop }], stack },
      { url, cycle: { file: rig.freshTokenFile, header: 'Authorization', prefix: 'Bearer ' }, serverPids },
      'allowed',
      { probeHeaders: { authorization: `Bearer ${rig.freshTokens[0]}` } },
    ),
  ];
}

/**
 * Rows 7-9: the native peers (bench/peers/), each proxying to the same app as nginx. A hop
 * row is the same server proxying without verification: what the proxy alone costs.
 */
export function peerScenarios(rig: Rig): Scenario[] {
  const hop = (id: string, row: string, name: string, stack: string, url: string, pid: number) =>
    loadScenario({ id, row, name, comparisons: [], stack }, { url, headers: { authorization: `Bearer ${rig.cachedToken}` }, serverPids: [pid] }, 'allowed');
  return [
    ...verifiedRows(rig, rig.haproxy, 'haproxy', '7', 'HAProxy jwt_verify (no cache)', 'haproxy-open'),
    hop('haproxy-open', '7 hop', 'HAProxy proxy hop, no verification', 'haproxy', `${rig.haproxy.openUrl}${OPEN}`, rig.haproxy.pid),
    ...verifiedRows(rig, rig.apacheOauth2, 'apache-oauth2', '8', 'Apache + mod_oauth2', 'apache-open'),
    hop('apache-open', '8 hop', 'Apache mod_proxy hop, no verification', 'apache-oauth2', `${rig.apacheOauth2.openUrl}${OPEN}`, rig.apacheOauth2.pid),
    ...verifiedRows(rig, rig.apacheOpenidc, 'apache-openidc', '9', 'Apache + mod_auth_openidc (no cache)', 'apache-open'),
  ];
}
