import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDumpCost } from '../../bench/callgrind.js';
import { rawRequest, sendFixedLoad } from '../../bench/fixed-load.js';
import { nameDump, readPerfMap } from '../../bench/callgrind-names.js';
import { formatAlongsideNotes } from '../../bench/flood.js';
import { refusedOnlyFor } from '../../bench/refusals.js';
import { formatTable, median, rotation, summarize, type RowSummary } from '../../bench/report.js';
import { loadScenario, type Measurement, type Scenario } from '../../bench/scenarios.js';
import { readTreeCpuSeconds } from '../../bench/proc.js';
import { startReferenceServer } from '../../bench/reference-servers.js';
import { NGINX_SUBREQUEST_HEADERS } from '../../bench/scenarios.js';
import { VERIFICATION_CASES } from '../../bench/verification-tokens.js';
import { formatVerificationTable, unverifiedStacks, verifyStacks, type StackVerification } from '../../bench/verification.js';
import { startAuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate } from '../support/gate.js';
import { httpGet, REPO, spawnProcess, tempDir } from '../support/processes.js';
import { waitFor } from '../support/wait-for.js';

const scenario = (id: string, comparisons: Scenario['comparisons'] = [], p99UnderMs?: number): Scenario => ({
  id,
  row: id,
  name: id,
  comparisons,
  ...(p99UnderMs !== undefined ? { p99UnderMs } : {}),
  probe: async () => {},
  measure: async () => ({ requestsPerSecond: 0 }),
});

describe('bench arithmetic', () => {
  it('rotates the order every round so no scenario always runs first', () => {
    expect(rotation(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotation(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotation(['a', 'b', 'c'], 5)).toEqual(['c', 'a', 'b']);
  });

  it('takes the median, not the mean, so one disturbed round does not move the result', () => {
    expect(median([10, 1000, 12])).toBe(12);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('compares medians with their baselines and checks ratio and p99 targets', () => {
    const results = new Map<string, Measurement[]>([
      ['base', [{ requestsPerSecond: 100, p99Ms: 1 }, { requestsPerSecond: 90, p99Ms: 1 }, { requestsPerSecond: 110, p99Ms: 1 }]],
      ['fast', [{ requestsPerSecond: 90, p99Ms: 1.5 }, { requestsPerSecond: 95, p99Ms: 2.5 }, { requestsPerSecond: 85, p99Ms: 1.9 }]],
      ['slow', [{ requestsPerSecond: 40, p99Ms: 1 }]],
    ]);
    const rows = summarize([scenario('base'), scenario('fast', [{ against: 'base', atLeast: 0.85 }], 2), scenario('slow', [{ against: 'base', atLeast: 0.5 }])], results);
    const byId = Object.fromEntries(rows.map((row) => [row.id, row])) as Record<string, RowSummary>;
    expect(byId.fast!.comparisons[0]).toMatchObject({ ratio: 0.9, met: true });
    expect(byId.fast!.p99Met).toBe(true);
    expect(byId.slow!.comparisons[0]).toMatchObject({ ratio: 0.4, met: false });
    expect(formatTable(rows)).toContain('| slow | slow | 40 |');
    expect(formatTable(rows)).toContain('**missed**');
  });
});

describe('a row measured under a load run alongside (row 2 flood)', () => {
  const rows = (withPricing: boolean) => {
    const results = new Map<string, Measurement[]>([
      ['cached', [{ requestsPerSecond: 100, serverCpuUs: 160 }]],
      // Priced alone at 200 µs each: 2,500 of them per CPU second are half of it.
      ['junk', [{ requestsPerSecond: 10, serverCpuUs: 200 }]],
      ['flood', [{ requestsPerSecond: 45, alongside: { requestsPerSecond: 40, requestsPerCpuSecond: 2500, serverCores: 1 } }]],
    ]);
    const flood = scenario('flood', [{ against: 'cached', atLeast: 0.9, lessCpuOf: 'junk' }]);
    return summarize(withPricing ? [scenario('cached'), scenario('junk'), flood] : [scenario('cached'), flood], results);
  };

  it('expects the other row\'s rate times the CPU share the alongside load left, and says so', () => {
    const summary = rows(true);
    const flood = summary.find((row) => row.id === 'flood')!;
    expect(flood.comparisons[0]).toMatchObject({ cpuLeft: 0.5, ratio: 0.9, met: true, lessCpuOfRow: 'junk' });
    expect(formatTable(summary)).toContain('0.90 × (0.50 × row cached)');
    expect(formatTable(summary)).toContain('≥ 0.9 × (row cached × CPU share row junk left): met');
    expect(formatAlongsideNotes(summary)).toEqual([
      "Row flood: row junk's requests ran alongside at 40 req/s; priced at its 200.0 µs each, they took 50% of the sidecar's CPU (1.00 cores in all; at both rows' prices their answers split it 53% to the flood). " +
        "Expected: row cached's 100 req/s × 0.50 = 50 req/s; measured 45 (0.90 × expected, target ≥ 0.9).",
    ]);
  });

  it('compares nothing when the row pricing the alongside load was not run (--only)', () => {
    expect(rows(false).find((row) => row.id === 'flood')!.comparisons).toEqual([]);
  });
});

describe('the reason of every refusal of a run (bench/refusals.ts)', () => {
  const counts = new Map<string, number>();
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      const lines = [...counts].map(([reason, count]) => `authgear_gate_decisions_total{result="${reason === 'allowed' ? 'allow' : 'deny'}",reason="${reason}",via="jwt",principal="none"} ${count}`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${lines.join('\n')}\n`);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }));

  it('reads the counts from /metrics and refuses a run with a refusal for any other reason', async () => {
    const watch = refusedOnlyFor('junk', url, 'bad_signature');
    counts.set('allowed', 7).set('bad_signature', 2);
    let check = await watch();
    counts.set('allowed', 20).set('bad_signature', 12);
    await check({ statusErrors: 10 });
    check = await watch();
    counts.set('bad_signature', 20).set('unknown_key', 2);
    await expect(check({ statusErrors: 10 })).rejects.toThrow(/the sidecar's were bad_signature 8, unknown_key 2, all bad_signature expected/);
    check = await watch();
    counts.set('bad_signature', 25);
    await expect(check({ statusErrors: 10 })).rejects.toThrow(/wrk counted 10 refusals/);
  });
});

// A dump in callgrind's format: self costs under fn=, a call's inclusive cost after calls=.
const DUMP = [
  'events: Ir',
  'fn=(1) node::http::Parse()',
  '0 100',
  'cfn=(2) v8::internal::compiler::PipelineImpl::OptimizeGraph()',
  'calls=1 0',
  '0 500',
  'fn=(2)',
  '0 480',
  '+2 20',
  'fn=(3) 0x0000000018000010',
  '0 7',
  'fn=(4) v8::internal::maglev::MaglevGraphBuilder::Build()',
  '0 30',
  'totals: 637',
].join('\n');

describe('the cost mode reading callgrind', () => {
  it('sums self costs only, a call line being the callee\'s cost counted again', () => {
    expect(readDumpCost(DUMP).total).toBe(637);
  });

  it('counts V8\'s compilers apart, by function name (names given once, then by id)', () => {
    expect(readDumpCost(DUMP).compiler).toBe(530);
  });

  it('names generated code from node --perf-basic-prof\'s map, a later entry for the same start winning', () => {
    const map = readPerfMap('18000000 40 JS:~decideAuth file:///dist/auth-decision.js:25\n18000000 40 JS:*decideAuth file:///dist/auth-decision.js:25\n');
    const named = nameDump(DUMP, map);
    expect(named).toContain('fn=(3) JS:*decideAuth file:///dist/auth-decision.js:25');
    // What the map does not cover keeps its address; costs are untouched.
    expect(nameDump('fn=(9) 0x0000000019000000', map)).toBe('fn=(9) 0x0000000019000000');
    expect(readDumpCost(named)).toEqual(readDumpCost(DUMP));
  });
});

describe("the cost mode's fixed load", () => {
  it('sends exactly the count, again on a new connection when the server closes one under a request', async () => {
    let served = 0;
    const server = http.createServer((request, response) => {
      served++;
      response.writeHead(200, { 'content-length': '0' }).end();
      // As a server past its keep-alive timeout does: the next request finds the connection gone.
      if (served % 25 === 0) request.socket.destroy();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    try {
      await sendFixedLoad({ port, requests: [rawRequest(port, '/auth', {})], total: 300, connections: 2, status: 200 });
      // A request whose connection went before it was read is served once, on the new one.
      expect(served).toBeGreaterThanOrEqual(300);
      expect(served).toBeLessThan(315);
      await expect(sendFixedLoad({ port, requests: [rawRequest(port, '/auth', {})], total: 10, connections: 1, status: 401 })).rejects.toThrow(/expected HTTP\/1.1 401/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('the floor (row 2 ref)', () => {
  it('writes the very answer row 2 gets from the sidecar: the same status and header names', async () => {
    const authgear = await startAuthgearStandIn();
    const floor = await startReferenceServer('floor');
    const gate = await startTestGate(authgear);
    try {
      const headers = { ...NGINX_SUBREQUEST_HEADERS, authorization: `Bearer ${await authgear.accessToken()}` };
      const fromGate = await gate.auth(headers);
      const fromFloor = await httpGet(`${floor.url}/auth`, headers);
      const names = (all: Iterable<string>) => [...all].filter((name) => !['date', 'connection', 'keep-alive'].includes(name)).sort();
      expect(fromGate.status).toBe(200);
      expect(fromFloor.status).toBe(200);
      expect(names(Object.keys(fromFloor.headers))).toEqual(names(fromGate.headers.keys()));
    } finally {
      await gate.close();
      await floor.stop();
      await authgear.close();
    }
  });
});

describe('the table with instruction counts (--cost)', () => {
  it('adds a column with each row\'s instructions and the floor\'s over them, and keeps it out otherwise', () => {
    const results = new Map<string, Measurement[]>([
      ['floor', [{ requestsPerSecond: 100 }]],
      ['jwt-cached', [{ requestsPerSecond: 60 }]],
    ]);
    const cost = (instructionsPerRequest: number) => ({ instructionsPerRequest, counts: [instructionsPerRequest + 1000, instructionsPerRequest], compilerPerRequest: 500, settled: true, dumps: [] });
    const scenarios = [scenario('floor'), scenario('jwt-cached', [{ against: 'floor', atLeast: 0.85 }])];
    const rows = summarize(scenarios, results, new Map([['floor', cost(60_000)], ['jwt-cached', cost(120_000)]]));
    const jwt = rows.find((row) => row.id === 'jwt-cached')!;
    expect(jwt.instructionRatioToFloor).toBe(0.5);
    expect(formatTable(rows)).toContain('| 120,000 (0.50) |');
    expect(formatTable(rows)).toContain('instructions/req (floor ÷ row)');
    expect(formatTable(summarize(scenarios, results))).not.toContain('instructions/req');
  });
});

describe('a bench row that answers wrongly', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.writeHead(401, { 'content-length': '0' }).end());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`;
  });
  afterAll(() => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }));

  it('is an error, not a number: the probe and the measurement both refuse it', async () => {
    const allowedRow = loadScenario(scenario('wrong'), { url }, 'allowed');
    await expect(allowedRow.probe()).rejects.toThrow(/probe answered 401/);
    await expect(allowedRow.measure(1, 2)).rejects.toThrow(/answers were not allowed/);
    const deniedRow = loadScenario(scenario('right'), { url }, 'denied');
    await deniedRow.probe();
    expect((await deniedRow.measure(1, 2)).requestsPerSecond).toBeGreaterThan(0);
  });
});

describe('server CPU of a whole side (bench/proc.ts)', () => {
  it("counts a process's children too: Apache's and nginx's work is done in them", async () => {
    // The parent only waits; its child burns about 300 ms of CPU, says so and stays alive.
    const child = `while (process.cpuUsage().user < 300_000); console.log('burnt'); setInterval(() => {}, 1000);`;
    const parent = `const child = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'inherit' });
process.on('SIGTERM', () => { child.kill(); process.exit(0); });`;
    const spawned = spawnProcess(process.execPath, ['-e', parent]);
    try {
      await waitFor(() => spawned.output().includes('burnt'), 10_000, 'the child to burn its CPU');
      const pid = spawned.process.pid!;
      expect(readTreeCpuSeconds([pid])).toBeGreaterThan(0.25);
    } finally {
      await spawned.stop();
    }
  });
});

describe('the verification step (bench/verification.ts)', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    // A "proxy" that checks nothing: every token passes.
    server = http.createServer((_req, res) => res.writeHead(200, { 'content-length': '0' }).end());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  });
  afterAll(() => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }));

  it('reports a stack that accepts a forged token as not verifying, so its rows are not measured', async () => {
    const authgear = await startAuthgearStandIn();
    try {
      const [result] = await verifyStacks([{ id: 'open-door', name: 'open door', url, leewaySeconds: 0 }], authgear);
      expect(result!.verifies).toBe(false);
      expect(result!.answers['wrong-signature']).toBe('accepted');
      // Accepting a token never seen, once expired, is not a cache's doing.
      expect(result!.answers['expired-after-accepted']).toBe('inconclusive: accepts expired tokens');
      expect(unverifiedStacks([result!], 'nginx-gate')).toEqual(new Set(['open-door']));
      expect(() => unverifiedStacks([{ ...result!, id: 'nginx-gate' }], 'nginx-gate')).toThrow(/does not verify tokens/);
      const table = formatVerificationTable([result!]);
      expect(table).toContain('| signed by another key, under the published kid | **accepted** |');
      expect(table).toContain('| verifies, so measured | **no: not measured** |');
    } finally {
      await authgear.close();
    }
  }, 20_000);
});

describe('npm run bench, as a smoke run (asserts that it works, never how fast)', () => {
  it('starts every process, verifies every stack, measures every row and prints the tables', async () => {
    const json = join(tempDir('bench-smoke'), 'result.json');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('npm', ['run', '--silent', 'bench', '--', '--smoke', '--json', json], { cwd: REPO, timeout: 180_000 }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      ),
    );
    const result = JSON.parse(readFileSync(json, 'utf8')) as { rows: RowSummary[]; verification: StackVerification[] };
    // Every native peer was installed (.ci/install-system-deps), verified, then measured.
    expect(result.rows.map((row) => row.id)).toEqual([
      'bare', 'bare-empty', 'floor', 'jwt-cached', 'jwt-cached-assertion', 'jwt-cached-traced', 'jwt-cached-raw', 'jwt-fresh', 'jwt-junk', 'jwt-cached-flood', 'jose', 'no-credentials',
      'nginx-auth', 'nginx-auth-fresh', 'nginx-auth-floor', 'nginx-open', 'session-memory', 'session-redis', 'session-miss', 'policy-1', 'policy-10k', 'regex-1', 'regex-1k',
      'haproxy-cached', 'haproxy-fresh', 'haproxy-open', 'apache-oauth2-cached', 'apache-oauth2-fresh', 'apache-open',
      'apache-openidc-cached', 'apache-openidc-fresh',
    ]);
    for (const row of result.rows) expect(row.requestsPerSecond, row.id).toBeGreaterThan(0);
    // Server CPU for every row with requests, nginx's and the peers' included (all their processes).
    for (const row of result.rows.filter((row) => row.id !== 'jose')) expect(row.serverCpuUs, row.id).toBeGreaterThan(0);
    const against = (id: string) => result.rows.find((row) => row.id === id)!.comparisons.map((c) => c.against);
    // The targets: each /auth row against the floor, nginx against its floor hop.
    const target = (id: string) => result.rows.find((row) => row.id === id)!.comparisons.filter((c) => c.atLeast !== undefined).map((c) => [c.against, c.atLeast]);
    expect(target('jwt-cached')).toEqual([['floor', 0.85]]);
    expect(target('jwt-cached-assertion')).toEqual([['jwt-cached', 0.9]]);
    expect(target('session-memory')).toEqual([['floor', 0.85]]);
    expect(target('session-redis')).toEqual([['floor', 0.6]]);
    expect(target('no-credentials')).toEqual([['floor', 0.85]]);
    expect(target('nginx-auth')).toEqual([['nginx-auth-floor', 0.9]]);
    expect(target('policy-10k')).toEqual([['policy-1', 0.9]]);
    expect(target('regex-1k')).toEqual([['regex-1', 0.5]]);
    expect(target('jwt-cached-traced')).toEqual([['jwt-cached', 0.95]]);
    expect(against('jwt-cached-raw')).toEqual(['floor', 'jwt-cached']);
    expect(against('jwt-fresh')).toEqual(['bare', 'jose']);
    // #23: junk at least as cheap as a fresh valid token; under a junk flood, cached answers
    // lose no more than the CPU share the junk took (priced at row 3 junk's CPU per request).
    expect(target('jwt-junk')).toEqual([['jwt-fresh', 1]]);
    expect(target('jwt-cached-flood')).toEqual([['jwt-cached', 0.9]]);
    const flood = result.rows.find((row) => row.id === 'jwt-cached-flood')!;
    expect(flood.comparisons[0]).toMatchObject({ lessCpuOf: 'jwt-junk', cpuLeft: expect.any(Number) });
    expect(flood.alongside?.requestsPerSecond).toBeGreaterThan(0);
    expect(flood.alongside?.serverCores).toBeGreaterThan(0);
    expect(stdout).toMatch(/Row 2 flood: row 3 junk's requests ran alongside at [\d,]+ req\/s/);
    // Like against like: a cached token against the same token, a fresh one against fresh ones.
    expect(against('nginx-auth')).toEqual(['nginx-auth-floor', 'nginx-open', 'haproxy-cached', 'apache-oauth2-cached', 'apache-openidc-cached']);
    expect(against('nginx-auth-fresh')).toEqual(['nginx-auth', 'haproxy-fresh', 'apache-oauth2-fresh', 'apache-openidc-fresh']);
    expect(stdout).toContain('| 6 twin | nginx proxy, same hop without auth_request |');

    // Each peer's config verifies: were one to let a forged, expired or foreign token through,
    // its rows would go unmeasured and this would say which.
    expect(result.verification.map((stack) => stack.id)).toEqual(['nginx-gate', 'haproxy', 'apache-oauth2', 'apache-openidc']);
    for (const stack of result.verification) {
      expect({ stack: stack.id, verifies: stack.verifies }).toEqual({ stack: stack.id, verifies: true });
      expect(stack.answers, stack.id).toMatchObject({ valid: 'accepted', expired: 'refused', 'wrong-signature': 'refused', 'wrong-audience': 'refused' });
    }
    // Ours refuses every case; what the peers let through is recorded, whatever it is.
    const ours = result.verification.find((stack) => stack.id === 'nginx-gate')!;
    for (const c of VERIFICATION_CASES) expect(ours.answers[c.id], c.id).toBe(c.expect);
    expect(stdout).toContain('What each stack accepted and refused');
    expect(stdout).toContain('| 6: nginx proxy with auth_request (JWT, cached) | 7: HAProxy jwt_verify (no cache), the same JWT each time |');
  }, 240_000);
});
