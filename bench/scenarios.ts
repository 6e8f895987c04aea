import { httpGet } from '../test/support/processes.js';
import { readCpuSeconds } from './proc.js';
import type { Rig } from './rig.js';
import { runWrk, type LoadOptions } from './wrk.js';

export interface Measurement {
  requestsPerSecond: number;
  /** Absent for the in-process jose row, which has no requests. */
  p50Ms?: number;
  p99Ms?: number;
  /** CPU time the server process spent per request: far less sensitive to a busy machine than req/s. */
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
  /** One request, checked, before anything is measured: a row that answers wrongly is an error, not a number. */
  probe(): Promise<void>;
  measure(seconds: number, connections: number): Promise<Measurement>;
}

/** What nginx's auth-endpoint.conf sends with every subrequest. */
export const NGINX_SUBREQUEST_HEADERS = {
  'x-original-uri': '/api/orders?page=2',
  'x-original-method': 'GET',
  'x-original-host': 'app.example.test',
  'x-forwarded-proto': 'https',
  'x-request-id': '5f0e6a3c9d8b47a1b2c3d4e5f6a7b8c9',
};

type Expect = 'allowed' | 'denied';

export function loadScenario(
  base: Omit<Scenario, 'probe' | 'measure'>,
  target: Omit<LoadOptions, 'seconds' | 'connections'> & { serverPid?: number },
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
      const cpuBefore = target.serverPid ? readCpuSeconds(target.serverPid) : 0;
      const result = await runWrk({ ...target, seconds, connections });
      const serverCpuUs = target.serverPid ? ((readCpuSeconds(target.serverPid) - cpuBefore) * 1e6) / result.requests : undefined;
      const wrong = expect === 'allowed' ? result.statusErrors : result.requests - result.statusErrors;
      if (wrong > 0 || result.socketErrors > 0 || result.requests === 0) {
        throw new Error(`${base.id}: ${wrong} of ${result.requests} answers were not ${expect}, ${result.socketErrors} socket errors`);
      }
      return { ...result, ...(serverCpuUs !== undefined ? { serverCpuUs } : {}) };
    },
  };
}

export function buildScenarios(rig: Rig): Scenario[] {
  const bearer = { authorization: `Bearer ${rig.cachedToken}` };
  const auth = (server: { url: string }) => `${server.url}/auth`;
  const scenarios: Scenario[] = [
    // Row 1 is sent row 2's request: the ratio is then what the sidecar costs, not what
    // parsing 1.3 KB of request headers costs. 1 ref is the same server sent none.
    loadScenario(
      { id: 'bare', row: '1', name: "bare Node http server, empty 200 (row 2's request)", comparisons: [] },
      { url: `${rig.bare.url}/`, headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPid: rig.bare.pid },
      'allowed',
    ),
    loadScenario(
      { id: 'bare-empty', row: '1 ref', name: 'bare Node http server, empty 200 (no request headers)', comparisons: [{ against: 'bare' }] },
      { url: `${rig.bare.url}/`, serverPid: rig.bare.pid },
      'allowed',
    ),
    loadScenario(
      { id: 'floor', row: '2 ref', name: "Node http writing row 2's 200 prebuilt (no decision)", comparisons: [{ against: 'bare' }] },
      { url: auth(rig.floor), headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPid: rig.floor.pid },
      'allowed',
    ),
    loadScenario(
      {
        id: 'jwt-cached',
        row: '2',
        name: '/auth, JWT seen before (in-process cache hit)',
        comparisons: [{ against: 'floor', atLeast: 0.85 }, { against: 'bare' }],
        p99UnderMs: 2,
      },
      { url: auth(rig.gate), headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPid: rig.gate.pid },
      'allowed',
    ),
    // Row 2's request to a gate with tracing on: the cost of a span per decision, 1% exported.
    loadScenario(
      { id: 'jwt-cached-traced', row: '2 traced', name: '/auth, JWT seen before, tracing on (1%)', comparisons: [{ against: 'jwt-cached', atLeast: 0.95 }] },
      { url: auth(rig.tracedGate), headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPid: rig.tracedGate.pid },
      'allowed',
    ),
    // The transport not shipped, in the same run: row 2 against it is what the Hono route costs (docs/performance.md).
    loadScenario(
      { id: 'jwt-cached-raw', row: '2 raw', name: '/auth on a bare Node listener, no Hono (JWT seen before)', comparisons: [{ against: 'floor' }, { against: 'jwt-cached' }] },
      { url: auth(rig.rawGate), headers: { ...NGINX_SUBREQUEST_HEADERS, ...bearer }, serverPid: rig.rawGate.pid },
      'allowed',
    ),
    loadScenario(
      {
        id: 'jwt-fresh',
        row: '3',
        name: '/auth, fresh JWT each time (RS256 verify; cache off)',
        comparisons: [{ against: 'bare' }, { against: 'jose', atLeast: 0.8 }],
      },
      { url: auth(rig.uncachedGate), headers: NGINX_SUBREQUEST_HEADERS, cycle: { file: rig.freshTokenFile, header: 'Authorization', prefix: 'Bearer ' }, serverPid: rig.uncachedGate.pid },
      'allowed',
      { probeHeaders: { authorization: `Bearer ${rig.freshTokens[0]}` } },
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
      { url: auth(rig.gate), headers: NGINX_SUBREQUEST_HEADERS, serverPid: rig.gate.pid },
      'denied',
    ),
    loadScenario(
      { id: 'nginx-auth', row: '6', name: 'nginx proxy with auth_request (JWT, cached)', comparisons: [{ against: 'nginx-auth-floor', atLeast: 0.9 }, { against: 'nginx-open' }] },
      { url: `${rig.nginx.url}/api/orders?page=2`, headers: bearer },
      'allowed',
      {
        // Proof that auth_request is really in the path: the same URL without a token is refused.
        async probe() {
          const refused = await httpGet(`${rig.nginx.url}/api/orders?page=2`);
          if (refused.status !== 401) throw new Error(`nginx-auth: without a token nginx answered ${refused.status}, not 401`);
        },
      },
    ),
    loadScenario(
      { id: 'nginx-auth-floor', row: '6 ref', name: 'nginx proxy with auth_request to the floor reference (2 ref)', comparisons: [{ against: 'nginx-open' }] },
      { url: `${rig.nginxToFloor.url}/api/orders?page=2`, headers: bearer },
      'allowed',
    ),
    loadScenario(
      { id: 'nginx-open', row: '6 twin', name: 'nginx proxy, same hop without auth_request', comparisons: [] },
      { url: `${rig.nginx.url}/healthz`, headers: bearer },
      'allowed',
    ),
  ];
  // Distinct sessions in turn, so concurrent requests never share one resolver or Redis call.
  const sessionRow = (id: string, row: string, name: string, server: { url: string; pid: number }, atLeast?: number) =>
    loadScenario(
      { id, row, name, comparisons: [{ against: 'floor', ...(atLeast !== undefined ? { atLeast } : {}) }] },
      { url: auth(server), headers: NGINX_SUBREQUEST_HEADERS, cycle: { file: rig.sessionFile, header: 'Cookie', prefix: 'session=' }, serverPid: server.pid },
      'allowed',
      { probeHeaders: { cookie: `session=${rig.sessions[0]}` } },
    );
  scenarios.push(
    sessionRow('session-memory', '4a', '/auth, session cookie from the in-process cache', rig.gate, 0.85),
    sessionRow('session-redis', '4b', '/auth, session cookie from Redis (no in-process tier)', rig.redisGate, 0.6),
    sessionRow('session-miss', '4c', '/auth, session cookie from the stand-in resolver (miss)', rig.resolverGate),
  );
  return scenarios;
}
