import { startGateProcess, startNginx, type Spawned } from '../test/support/processes.js';
import { sidecarEntry, startFixtures, type Fixtures, type SidecarName } from './fixtures.js';
import { startJoseRate, type JoseRate } from './jose-rate.js';
import { withOpenLocation } from './nginx-open-location.js';
import { peerOptions, startPeers, type Peers } from './peers/peers.js';
import { startReferenceServer } from './reference-servers.js';

export interface Server {
  url: string;
  port: number;
  pid: number;
}

export interface RigOptions {
  /** Distinct tokens cycled by the fresh-token row. */
  freshTokens: number;
  /** Directory for --cpu-prof profiles of the sidecars, if profiling. */
  profileDir?: string;
}

/** Everything the rows talk to, all on loopback, all started here and stopped by close(). */
export interface Rig extends Fixtures, Peers {
  bare: Server;
  /** Node writing the sidecar's 200 prebuilt, deciding nothing (row 2's reference). */
  floor: Server;
  /** The sidecar as shipped (token cache on): rows 2, 5 and 6. */
  gate: Server;
  /** The same gate with ASSERTION_KEY_FILE: every allow signed (row 2 signed). */
  assertionGate: Server;
  /** The same gate with /auth on a bare Node listener (row 2 raw): the transport not shipped, the reference for what Hono costs. */
  rawGate: Server;
  /** TOKEN_CACHE_MAX_ENTRIES=0: every request is a full RS256 verification (row 3). */
  uncachedGate: Server;
  /** With Redis, and no in-process tier in front of it (row 4b). */
  redisGate: Server;
  /** Nothing reused: every session goes to the stand-in's resolver (row 4c). */
  resolverGate: Server;
  /** POLICY_FILE of 1 and of 10,000 host + prefix rules, the request matching the last (rows P1, P2). */
  policy1Gate: Server;
  policy10kGate: Server;
  /** The same with path_regex rules: 1 and 1,000 (rows P3, P4). */
  regex1Gate: Server;
  regex1kGate: Server;
  /** The shipped gate with tracing on, 1% sampled, exporting to a local sink (row 2 traced). */
  tracedGate: Server;
  nginx: Server;
  /** The same nginx config, asking the floor reference instead of the sidecar (row 6's reference). */
  nginxToFloor: Server;
  /** The same nginx config, asking the uncached sidecar: a fresh token's whole path (row 6 fresh). */
  nginxFresh: Server;
  joseRate: JoseRate;
}

const asServer = (spawned: Spawned, port: number): Server => ({ url: `http://127.0.0.1:${port}`, port, pid: spawned.process.pid! });

export async function startRig(options: RigOptions): Promise<Rig> {
  const fixtures = await startFixtures(options);
  const stops: Array<() => unknown> = [() => fixtures.close()];
  const keep = async <T extends { stop(): unknown }>(starting: Promise<T>): Promise<T> => {
    const started = await starting;
    stops.push(() => started.stop());
    return started;
  };
  try {
    const bare = await keep(startReferenceServer('bare'));
    const floor = await keep(startReferenceServer('floor'));
    const nodeArgs = options.profileDir ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${options.profileDir}`] : [];
    const sidecar = (name: SidecarName) =>
      keep(startGateProcess(fixtures.sidecarEnv[name], { nodeArgs, entry: sidecarEntry(name) })).then((gate) => asServer(gate, gate.port));
    const gate = await sidecar('gate');
    const nginxTo = (authPort: number) => keep(startNginx({ gatePort: authPort, appPort: bare.port, edit: withOpenLocation })).then((nginx) => asServer(nginx, nginx.port));
    const nginx = await nginxTo(gate.port);
    const nginxToFloor = await nginxTo(floor.port);
    const uncachedGate = await sidecar('uncachedGate');
    const nginxFresh = await nginxTo(uncachedGate.port);
    const peers = await startPeers(peerOptions(fixtures.authgear, bare.port), keep);
    const key = fixtures.authgear.keys[0]!;
    const joseRate = await keep(startJoseRate({ publicJwk: key.publicJwk, issuer: fixtures.authgear.origin, tokens: fixtures.freshTokens }));

    return {
      ...fixtures,
      bare,
      floor,
      gate,
      rawGate: await sidecar('rawGate'),
      assertionGate: await sidecar('assertionGate'),
      uncachedGate,
      redisGate: await sidecar('redisGate'),
      resolverGate: await sidecar('resolverGate'),
      tracedGate: await sidecar('tracedGate'),
      policy1Gate: await sidecar('policy1Gate'),
      policy10kGate: await sidecar('policy10kGate'),
      regex1Gate: await sidecar('regex1Gate'),
      regex1kGate: await sidecar('regex1kGate'),
      nginx,
      nginxToFloor,
      nginxFresh,
      ...peers,
      joseRate,
      close: () => stopAll(stops),
    };
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
}

async function stopAll(stops: Array<() => unknown>): Promise<void> {
  for (const stop of stops.reverse()) await stop();
}
