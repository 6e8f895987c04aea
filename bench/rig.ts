import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessTokenClaims, startAuthgearStandIn, type AuthgearStandIn } from '../test/support/authgear-stand-in.js';
import { startGateProcess, startNginx, tempDir, type Spawned } from '../test/support/processes.js';
import { startJoseRate, type JoseRate } from './jose-rate.js';
import { startReferenceServer } from './reference-servers.js';
import { mintTokens } from './tokens.js';

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
  /** The fastest Hono answer of the same 200 (row 2's reference). */
  hono: Server;
  /** The sidecar as shipped (token cache on): rows 2, 5 and 6. */
  gate: Server;
  /** TOKEN_CACHE_MAX_ENTRIES=0: every request is a full RS256 verification (row 3). */
  uncachedGate: Server;
  nginx: Server;
  /** The same nginx config, asking the Hono reference instead of the sidecar (row 6's reference). */
  nginxToHono: Server;
  joseRate: JoseRate;
  cachedToken: string;
  freshTokens: string[];
  /** The same tokens, one per line, for wrk. */
  freshTokenFile: string;
  close(): Promise<void>;
}

const asServer = (spawned: Spawned, port: number): Server => ({ url: `http://127.0.0.1:${port}`, port, pid: spawned.process.pid! });

export async function startRig(options: RigOptions): Promise<Rig> {
  const stops: Array<() => unknown> = [];
  try {
    const authgear = await startAuthgearStandIn();
    stops.push(() => authgear.close());
    const key = authgear.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const freshTokens = await mintTokens({ key, claims: accessTokenClaims(authgear.origin, now, 3600), total: options.freshTokens });
    const dir = tempDir('bench');
    const freshTokenFile = join(dir, 'fresh-tokens.txt');
    writeFileSync(freshTokenFile, `${freshTokens.join('\n')}\n`);

    const bare = await startReferenceServer('bare');
    stops.push(() => bare.stop());
    const hono = await startReferenceServer('hono');
    stops.push(() => hono.stop());
    const nodeArgs = options.profileDir ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${options.profileDir}`] : [];
    const common = { AUTHGEAR_ENDPOINT: authgear.origin, LOG_LEVEL: 'warn' };
    const gate = await startGateProcess(common, { nodeArgs });
    stops.push(() => gate.stop());
    const uncachedGate = await startGateProcess({ ...common, TOKEN_CACHE_MAX_ENTRIES: '0' }, { nodeArgs });
    stops.push(() => uncachedGate.stop());
    const nginx = await startNginx({ gatePort: gate.port, appPort: bare.port });
    stops.push(() => nginx.stop());
    const nginxToHono = await startNginx({ gatePort: hono.port, appPort: bare.port });
    stops.push(() => nginxToHono.stop());
    const joseRate = await startJoseRate({ publicJwk: key.publicJwk, issuer: authgear.origin, tokens: freshTokens });
    stops.push(() => joseRate.close());

    return {
      authgear,
      bare,
      hono,
      gate: asServer(gate, gate.port),
      uncachedGate: asServer(uncachedGate, uncachedGate.port),
      nginx: asServer(nginx, nginx.port),
      nginxToHono: asServer(nginxToHono, nginxToHono.port),
      joseRate,
      cachedToken: await authgear.accessToken({ expiresIn: 3600 }),
      freshTokens,
      freshTokenFile,
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
