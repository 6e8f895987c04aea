import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessTokenClaims, startAuthgearStandIn, type AuthgearStandIn } from '../test/support/authgear-stand-in.js';
import { startGateProcess, startNginx, tempDir, type Spawned } from '../test/support/processes.js';
import { startRedis } from '../test/support/redis.js';
import { startJoseRate, type JoseRate } from './jose-rate.js';
import { startReferenceServer } from './reference-servers.js';
import { mintTokens } from './tokens.js';

export type SidecarName = 'gate' | 'uncachedGate' | 'redisGate' | 'resolverGate';

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
export interface Rig {
  authgear: AuthgearStandIn;
  bare: Server;
  /** Node writing the sidecar's 200 prebuilt, deciding nothing (row 2's reference). */
  floor: Server;
  /** The sidecar as shipped (token cache on): rows 2, 5 and 6. */
  gate: Server;
  /** TOKEN_CACHE_MAX_ENTRIES=0: every request is a full RS256 verification (row 3). */
  uncachedGate: Server;
  /** With Redis, and no in-process tier in front of it (row 4b). */
  redisGate: Server;
  /** Nothing reused: every session goes to the stand-in's resolver (row 4c). */
  resolverGate: Server;
  nginx: Server;
  /** The same nginx config, asking the floor reference instead of the sidecar (row 6's reference). */
  nginxToFloor: Server;
  /** Each sidecar's environment, for the cost mode to start the very same configurations. */
  sidecarEnv: Record<SidecarName, Record<string, string>>;
  joseRate: JoseRate;
  cachedToken: string;
  freshTokens: string[];
  /** The same tokens, one per line, for wrk. */
  freshTokenFile: string;
  /** Distinct Authgear session cookies the stand-in's resolver knows, and the same one per line. */
  sessions: string[];
  sessionFile: string;
  close(): Promise<void>;
}

const asServer = (spawned: Spawned, port: number): Server => ({ url: `http://127.0.0.1:${port}`, port, pid: spawned.process.pid! });

export async function startRig(options: RigOptions): Promise<Rig> {
  const stops: Array<() => unknown> = [];
  const keep = async <T extends { stop(): unknown }>(starting: Promise<T>): Promise<T> => {
    const started = await starting;
    stops.push(() => started.stop());
    return started;
  };
  try {
    const authgear = await startAuthgearStandIn();
    stops.push(() => authgear.close());
    const key = authgear.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const freshTokens = await mintTokens({ key, claims: accessTokenClaims(authgear.origin, now, 3600), total: options.freshTokens });
    const sessions = Array.from({ length: options.freshTokens }, () => authgear.sessions.issue('session').value);
    const dir = tempDir('bench');
    const writeLines = (name: string, lines: string[]) => {
      writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
      return join(dir, name);
    };

    const bare = await keep(startReferenceServer('bare'));
    const floor = await keep(startReferenceServer('floor'));
    const redis = await keep(startRedis());
    const nodeArgs = options.profileDir ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${options.profileDir}`] : [];
    const common = { AUTHGEAR_ENDPOINT: authgear.origin, LOG_LEVEL: 'warn' };
    const sidecarEnv: Rig['sidecarEnv'] = {
      gate: common,
      uncachedGate: { ...common, TOKEN_CACHE_MAX_ENTRIES: '0' },
      // Every request reads Redis: no in-process tier in front of it.
      redisGate: { ...common, REDIS_URL: redis.url, RESOLVER_LOCAL_TTL_SECONDS: '0' },
      // Nothing is reused: every request asks the resolver.
      resolverGate: { ...common, RESOLVER_POSITIVE_TTL_SECONDS: '0' },
    };
    const sidecar = (name: SidecarName) =>
      keep(startGateProcess(sidecarEnv[name], { nodeArgs })).then((gate) => asServer(gate, gate.port));
    const gate = await sidecar('gate');
    const nginx = await keep(startNginx({ gatePort: gate.port, appPort: bare.port }));
    const nginxToFloor = await keep(startNginx({ gatePort: floor.port, appPort: bare.port }));
    const joseRate = await keep(startJoseRate({ publicJwk: key.publicJwk, issuer: authgear.origin, tokens: freshTokens }));

    return {
      authgear,
      bare,
      floor,
      gate,
      uncachedGate: await sidecar('uncachedGate'),
      redisGate: await sidecar('redisGate'),
      resolverGate: await sidecar('resolverGate'),
      nginx: asServer(nginx, nginx.port),
      nginxToFloor: asServer(nginxToFloor, nginxToFloor.port),
      sidecarEnv,
      joseRate,
      cachedToken: await authgear.accessToken({ expiresIn: 3600 }),
      freshTokens,
      freshTokenFile: writeLines('fresh-tokens.txt', freshTokens),
      sessions,
      sessionFile: writeLines('sessions.txt', sessions),
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
