import { freePort, httpGet, REPO, SHIPPED_NODE_FLAGS } from '../test/support/processes.js';
import { waitFor } from '../test/support/wait-for.js';
import { spawnUnderCallgrind, type UnderCallgrind } from './callgrind.js';
import { rawRequest, sendFixedLoad } from './fixed-load.js';
import { REFERENCE_SERVERS } from './reference-servers.js';
import { sidecarEntry, type Fixtures, type SidecarName } from './fixtures.js';
import { NGINX_SUBREQUEST_HEADERS } from './scenarios.js';

/** A row whose cost is counted: which server, what it is sent, what it must answer. */
export interface CostRow {
  id: string;
  /** The row of the bench's table, and what it is. */
  row: string;
  name: string;
  server: 'floor' | SidecarName;
  headers: Record<string, string>;
  /** One value per request, in turn, in this header (distinct tokens or sessions). */
  cycle?: { header: string; prefix: string; values: readonly string[] };
  status: 200 | 401;
}

export interface CostSettings {
  /** Requests before counting (uninstrumented, so cheap): V8 optimizes the path, caches fill. */
  warmup: number;
  /** Requests per count. */
  requests: number;
  /** Counting stops when two counts in a row agree within this fraction... */
  tolerance: number;
  /** ...or after this many counts, the row then marked unsettled. */
  maxCounts: number;
  connections: number;
}

export interface RowCost {
  /**
   * Instructions per request, every thread of the server process, V8's compilers apart: the
   * mean of the last two counts.
   */
  instructionsPerRequest: number;
  /** Every count of those, in order; the earlier ones still had code being optimized. */
  counts: number[];
  /** V8's compilers, per request, over the same last two counts. */
  compilerPerRequest: number;
  /** Whether the last two counts agree within the tolerance. */
  settled: boolean;
  /** callgrind's dumps, one per count, for callgrind_annotate. */
  dumps: string[];
}

const agree = (a: number, b: number, tolerance: number) => Math.abs(a - b) <= tolerance * Math.min(a, b);

export function costRows(rig: Fixtures): CostRow[] {
  const bearer = { ...NGINX_SUBREQUEST_HEADERS, authorization: `Bearer ${rig.cachedToken}` };
  const sessions = { header: 'cookie', prefix: 'session=', values: rig.sessions };
  return [
    { id: 'floor', row: '2 ref', name: "the floor: Node writing row 2's 200 prebuilt", server: 'floor', headers: bearer, status: 200 },
    { id: 'jwt-cached', row: '2', name: '/auth, JWT seen before', server: 'gate', headers: bearer, status: 200 },
    { id: 'jwt-cached-assertion', row: '2 signed', name: '/auth, JWT seen before, assertions on', server: 'assertionGate', headers: bearer, status: 200 },
    { id: 'jwt-cached-traced', row: '2 traced', name: '/auth, JWT seen before, tracing on (1%)', server: 'tracedGate', headers: bearer, status: 200 },
    { id: 'jwt-cached-raw', row: '2 raw', name: '/auth on a bare Node listener (no Hono), JWT seen before', server: 'rawGate', headers: bearer, status: 200 },
    { id: 'jwt-fresh', row: '3', name: '/auth, fresh JWT each time (cache off)', server: 'uncachedGate', headers: NGINX_SUBREQUEST_HEADERS, cycle: { header: 'authorization', prefix: 'Bearer ', values: rig.freshTokens }, status: 200 },
    // Row 3's counterpart on the shipped gate: each a new token, so each misses the cache.
    { id: 'jwt-junk', row: '3 junk', name: '/auth, junk JWT each time (wrong signature; 401)', server: 'gate', headers: NGINX_SUBREQUEST_HEADERS, cycle: { header: 'authorization', prefix: 'Bearer ', values: rig.junkTokens }, status: 401 },
    { id: 'session-memory', row: '4a', name: '/auth, session from the in-process cache', server: 'gate', headers: NGINX_SUBREQUEST_HEADERS, cycle: sessions, status: 200 },
    { id: 'session-redis', row: '4b', name: '/auth, session from Redis', server: 'redisGate', headers: NGINX_SUBREQUEST_HEADERS, cycle: sessions, status: 200 },
    { id: 'session-miss', row: '4c', name: '/auth, session from the resolver (miss)', server: 'resolverGate', headers: NGINX_SUBREQUEST_HEADERS, cycle: sessions, status: 200 },
    { id: 'no-credentials', row: '5', name: '/auth, no credentials (401)', server: 'gate', headers: NGINX_SUBREQUEST_HEADERS, status: 401 },
    { id: 'policy-1', row: 'P1', name: '/auth, 1 host + path_prefix rule', server: 'policy1Gate', headers: bearer, status: 200 },
    { id: 'policy-10k', row: 'P2', name: '/auth, 10,000 host + path_prefix rules, the last matching', server: 'policy10kGate', headers: bearer, status: 200 },
    { id: 'regex-1', row: 'P3', name: '/auth, 1 host + path_regex rule', server: 'regex1Gate', headers: bearer, status: 200 },
    { id: 'regex-1k', row: 'P4', name: '/auth, 1,000 host + path_regex rules, the last matching', server: 'regex1kGate', headers: bearer, status: 200 },
  ];
}

/**
 * Valgrind runs the sidecar 10 to 50 times slower: deadlines that would time out, and TTLs
 * that would expire during the warm-up, are lengthened, so every counted request takes the
 * path its row names (a cached session stays cached; the miss row's TTL of 0 stays 0).
 */
function slowMotionEnv(name: SidecarName): Record<string, string> {
  return {
    UPSTREAM_TIMEOUT_MS: '30000',
    RESOLVER_TIMEOUT_MS: '10000',
    REDIS_TIMEOUT_MS: '10000',
    ...(name === 'resolverGate' ? {} : { RESOLVER_POSITIVE_TTL_SECONDS: '3600' }),
    // One assertion for the whole count, as in the req/s rounds (renewed every 40 s of them).
    ...(name === 'assertionGate' ? { ASSERTION_TTL_SECONDS: '300' } : {}),
  };
}

/** The server of a row, under callgrind, on a fresh port: a process of its own per row. */
async function startServer(rig: Fixtures, row: CostRow, nodeArgs: readonly string[]): Promise<{ server: UnderCallgrind; port: number }> {
  const port = await freePort();
  const server =
    row.server === 'floor'
      ? spawnUnderCallgrind(process.execPath, [...nodeArgs, '--input-type=module', '-e', REFERENCE_SERVERS.floor], { PORT: String(port) }, { cwd: REPO })
      : spawnUnderCallgrind(process.execPath, [...nodeArgs, ...SHIPPED_NODE_FLAGS, sidecarEntry(row.server)], { ...rig.sidecarEnv[row.server], ...slowMotionEnv(row.server), LISTEN_HOST: '127.0.0.1', PORT: String(port) });
  const readyPath = row.server === 'floor' ? '/auth' : '/readyz';
  try {
    await waitFor(async () => {
      if (server.process.exitCode !== null) throw new Error(`${row.id}: server exited under valgrind: ${server.output()}`);
      return (await httpGet(`http://127.0.0.1:${port}${readyPath}`).catch(() => undefined))?.status === 200;
    }, 300_000, `${row.id}'s server under valgrind`);
  } catch (error) {
    await server.stop('SIGKILL');
    throw error;
  }
  return { server, port };
}

/**
 * Instructions per request of one row: callgrind counts every instruction the server process
 * executes, whatever else the machine is doing, so a change of a few hundred instructions per
 * request shows where req/s on a shared machine cannot. Warm-up runs uninstrumented (faster).
 */
export async function measureRowCost(rig: Fixtures, row: CostRow, settings: CostSettings, nodeArgs: readonly string[] = []): Promise<RowCost> {
  // --predictable: V8 on one thread, its collections and compilations at the same points in
  // every run, so one sequence of requests gives the same count to within a fraction of 1%.
  const { server, port } = await startServer(rig, row, ['--predictable', ...nodeArgs]);
  try {
    const values = row.cycle?.values ?? [undefined];
    const requests = values.map((value) => rawRequest(port, '/auth', value === undefined ? row.headers : { ...row.headers, [row.cycle!.header]: row.cycle!.prefix + value }));
    const load = (total: number) => sendFixedLoad({ port, requests, total, connections: settings.connections, status: row.status });
    // Every distinct token or session is seen once before counting: caches are warm.
    await load(Math.max(settings.warmup, requests.length));
    await server.instrument(true);
    // V8 keeps compiling, and in Node's own http code deoptimizing and re-optimizing, long
    // after the warm-up: a count with a compilation in it is far off the others. The steady
    // state is two counts in a row that agree.
    const counts: number[] = [];
    const compiling: number[] = [];
    let settled = false;
    while (!settled && counts.length < settings.maxCounts) {
      const { total, compiler } = await server.count(() => load(settings.requests));
      counts.push((total - compiler) / settings.requests);
      compiling.push(compiler / settings.requests);
      settled = counts.length >= 2 && agree(counts.at(-1)!, counts.at(-2)!, settings.tolerance);
    }
    const meanOfLastTwo = (values: number[]) => values.slice(-2).reduce((sum, value) => sum + value, 0) / Math.min(2, values.length);
    return {
      instructionsPerRequest: meanOfLastTwo(counts),
      counts,
      compilerPerRequest: meanOfLastTwo(compiling),
      settled,
      dumps: counts.map((_, at) => `${server.outFile}.${at + 1}`),
    };
  } finally {
    await server.stop();
  }
}
