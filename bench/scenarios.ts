import { httpGet } from '../test/support/processes.js';
import { floodScenario } from './flood.js';
import { nginxScenarios } from './nginx-scenarios.js';
import { peerScenarios } from './peer-scenarios.js';
import { refusedOnlyFor } from './refusals.js';
import type { Rig, Server } from './rig.js';
import { loadScenario, type Scenario } from './scenario.js';

export { loadScenario, type Comparison, type Measurement, type Scenario } from './scenario.js';

/** What nginx's auth-endpoint.conf sends with every subrequest. */
export const NGINX_SUBREQUEST_HEADERS = {
  'x-original-uri': '/api/orders?page=2',
  'x-original-method': 'GET',
  'x-original-host': 'app.example.test',
  'x-forwarded-proto': 'https',
  'x-request-id': '5f0e6a3c9d8b47a1b2c3d4e5f6a7b8c9',
};

export function buildScenarios(rig: Rig): Scenario[] {
  const bearer = { authorization: `Bearer ${rig.cachedToken}` };
  const auth = (server: { url: string }) => `${server.url}/auth`;
  const cached = { url: auth(rig.gate), headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPids: [rig.gate.pid] };
  const cachedRow = loadScenario(
    { id: 'jwt-cached', row: '2', name: '/auth, JWT seen before (in-process cache hit)', comparisons: [{ against: 'floor', atLeast: 0.85 }, { against: 'bare' }], p99UnderMs: 2 },
    cached,
    'allowed',
  );
  // #23: valid header (the published kid) and claims, another key's signature: only the
  // signature check can refuse them, and a refusal for any other reason fails the row.
  const junk = { url: auth(rig.gate), headers: NGINX_SUBREQUEST_HEADERS, cycle: { file: rig.junkTokenFile, header: 'Authorization', prefix: 'Bearer ' }, serverPids: [rig.gate.pid] };
  const junkRow = loadScenario(
    { id: 'jwt-junk', row: '3 junk', name: '/auth, junk JWT each time (published kid, wrong signature; 401)', comparisons: [{ against: 'jwt-fresh', atLeast: 1.0 }] },
    junk,
    'denied',
    { probeHeaders: { authorization: `Bearer ${rig.junkTokens[0]}` }, probeReason: 'bad_signature', watch: refusedOnlyFor('jwt-junk', rig.gate.url, 'bad_signature') },
  );
  const scenarios: Scenario[] = [
    // Row 1 is sent row 2's request: the ratio is then what the sidecar costs, not what
    // parsing 1.3 KB of request headers costs. 1 ref is the same server sent none.
    loadScenario(
      { id: 'bare', row: '1', name: "bare Node http server, empty 200 (row 2's request)", comparisons: [] },
      { url: `${rig.bare.url}/`, headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPids: [rig.bare.pid] },
      'allowed',
    ),
    loadScenario(
      { id: 'bare-empty', row: '1 ref', name: 'bare Node http server, empty 200 (no request headers)', comparisons: [{ against: 'bare' }] },
      { url: `${rig.bare.url}/`, serverPids: [rig.bare.pid] },
      'allowed',
    ),
    loadScenario(
      { id: 'floor', row: '2 ref', name: "Node http writing row 2's 200 prebuilt (no decision)", comparisons: [{ against: 'bare' }] },
      { url: auth(rig.floor), headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPids: [rig.floor.pid] },
      'allowed',
    ),
    cachedRow,
    // Row 2 with signed assertions on, in the same run: what they add to the hot path.
    loadScenario(
      { id: 'jwt-cached-assertion', row: '2 signed', name: '/auth, JWT seen before, assertions on', comparisons: [{ against: 'jwt-cached', atLeast: 0.9 }, { against: 'floor' }] },
      { url: auth(rig.assertionGate), headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPids: [rig.assertionGate.pid] },
      'allowed',
      {
        async probe() {
          const answer = await httpGet(auth(rig.assertionGate), { ...NGINX_SUBREQUEST_HEADERS, ...bearer });
          if (answer.headers['x-authgear-gate-assertion'] === undefined) throw new Error('jwt-cached-assertion: the 200 carries no X-Authgear-Gate-Assertion');
        },
      },
    ),
    // Row 2's request to a gate with tracing on: the cost of a span per decision, 1% exported.
    loadScenario(
      { id: 'jwt-cached-traced', row: '2 traced', name: '/auth, JWT seen before, tracing on (1%)', comparisons: [{ against: 'jwt-cached', atLeast: 0.95 }] },
      { url: auth(rig.tracedGate), headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPids: [rig.tracedGate.pid] },
      'allowed',
    ),
    // The transport not shipped, in the same run: row 2 against it is what the Hono route costs (docs/performance.md).
    loadScenario(
      { id: 'jwt-cached-raw', row: '2 raw', name: '/auth on a bare Node listener, no Hono (JWT seen before)', comparisons: [{ against: 'floor' }, { against: 'jwt-cached' }] },
      { url: auth(rig.rawGate), headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPids: [rig.rawGate.pid] },
      'allowed',
    ),
    loadScenario(
      {
        id: 'jwt-fresh',
        row: '3',
        name: '/auth, fresh JWT each time (RS256 verify; cache off)',
        comparisons: [{ against: 'bare' }, { against: 'jose', atLeast: 0.8 }],
      },
      { url: auth(rig.uncachedGate), headers: NGINX_SUBREQUEST_HEADERS, cycle: { file: rig.freshTokenFile, header: 'Authorization', prefix: 'Bearer ' }, serverPids: [rig.uncachedGate.pid] },
      'allowed',
      { probeHeaders: { authorization: `Bearer ${rig.freshTokens[0]}` } },
    ),
    junkRow,
    floodScenario(
      {
        id: 'jwt-cached-flood',
        row: '2 flood',
        name: "/auth, JWT seen before, under a flood of row 3 junk's (half the connections each)",
        comparisons: [{ against: 'jwt-cached', atLeast: 0.9, lessCpuOf: 'jwt-junk' }],
      },
      {
        server: rig.gate,
        measured: cached,
        flood: { ...junk, reason: 'bad_signature' },
        probe: async () => {
          await cachedRow.probe();
          await junkRow.probe();
        },
      },
    ),
    {
      id: 'jose',
      row: '3 ref',
      name: 'jose jwtVerify RS256 in process, one core',
      comparisons: [],
      probe: async () => void (await rig.joseRate.measure(0.05)),
      measure: async (seconds) => ({ requestsPerSecond: await rig.joseRate.measure(seconds) }),
    },
    loadScenario(
      { id: 'no-credentials', row: '5', name: '/auth, no credentials (401)', comparisons: [{ against: 'floor', atLeast: 0.85 }] },
      { url: auth(rig.gate), headers: NGINX_SUBREQUEST_HEADERS, serverPids: [rig.gate.pid] },
      'denied',
    ),
    ...nginxScenarios(rig),
  ];
  // Distinct sessions in turn, so concurrent requests never share one resolver or Redis call.
  const sessionRow = (id: string, row: string, name: string, server: { url: string; pid: number }, atLeast?: number) =>
    loadScenario(
      { id, row, name, comparisons: [{ against: 'floor', ...(atLeast !== undefined ? { atLeast } : {}) }] },
      { url: auth(server), headers: NGINX_SUBREQUEST_HEADERS, cycle: { file: rig.sessionFile, header: 'Cookie', prefix: 'session=' }, serverPids: [server.pid] },
      'allowed',
      { probeHeaders: { cookie: `session=${rig.sessions[0]}` } },
    );
  scenarios.push(
    sessionRow('session-memory', '4a', '/auth, session cookie from the in-process cache', rig.gate, 0.85),
    sessionRow('session-redis', '4b', '/auth, session cookie from Redis (no in-process tier)', rig.redisGate, 0.6),
    sessionRow('session-miss', '4c', '/auth, session cookie from the stand-in resolver (miss)', rig.resolverGate),
  );
  // #22: the cost of matching flat in the rule count. Row 2's request, which only the last
  // rule of policyWithRules matches, against the same request with one rule, in the same run.
  const policyRow = (id: string, row: string, name: string, server: Server, twin?: { against: string; atLeast: number }) =>
    loadScenario(
      { id, row, name, comparisons: twin ? [twin, { against: 'floor' }] : [{ against: 'floor' }] },
      { url: auth(server), headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPids: [server.pid] },
      'allowed',
    );
  scenarios.push(
    policyRow('policy-1', 'P1', '/auth, POLICY_FILE of 1 host + path_prefix rule (JWT seen before)', rig.policy1Gate),
    policyRow('policy-10k', 'P2', '/auth, 10,000 host + path_prefix rules, the matching one last', rig.policy10kGate, { against: 'policy-1', atLeast: 0.9 }),
    policyRow('regex-1', 'P3', '/auth, POLICY_FILE of 1 host + path_regex rule (JWT seen before)', rig.regex1Gate),
    policyRow('regex-1k', 'P4', '/auth, 1,000 host + path_regex rules, the matching one last', rig.regex1kGate, { against: 'regex-1', atLeast: 0.5 }),
  );
  return [...scenarios, ...peerScenarios(rig)];
}
