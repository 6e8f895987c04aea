import { freePort, httpGet, REPO, spawnProcess, type Spawned } from '../test/support/processes.js';
import { waitFor } from '../test/support/wait-for.js';

const PORT = 'Number(process.env.PORT)';

/** Row 1: what Node itself does for an empty 200, the ceiling of any Node server here. */
const BARE = `import http from 'node:http';
http.createServer((req, res) => res.end()).listen(${PORT}, '127.0.0.1');`;

/**
 * Row 2's reference, the floor of the sidecar's answer: the same request read by Node, the
 * same 200 written (identity headers, Content-Length: 0), prebuilt, no decision at all.
 * What row 2 costs beyond it is ours.
 */
const FLOOR = `import http from 'node:http';
const headers = [
  'content-length', '0',
  'x-authgear-session-valid', 'true',
  'x-authgear-user-id', '5d4f7e0a-3b1c-4e2a-9f8d-6c7b5a4e3d2c',
  'x-authgear-user-anonymous', 'false',
  'x-authgear-user-verified', 'true',
  'x-authgear-user-can-reauthenticate', 'true',
  'x-authgear-session-amr', 'pwd',
  'x-authgear-session-authenticated-at', '1700000000',
  'x-authgear-client-id', 'test-client',
  'x-authgear-scope', 'openid offline_access https://authgear.com/scopes/full-access',
];
http.createServer((req, res) => res.writeHead(200, headers).end()).listen(${PORT}, '127.0.0.1');`;

export const REFERENCE_SERVERS = { bare: BARE, floor: FLOOR } as const;

export interface ReferenceServer extends Spawned {
  url: string;
  port: number;
  pid: number;
}

/** Starts one of the reference servers with plain node (no loader), as the sidecar runs. */
export async function startReferenceServer(name: keyof typeof REFERENCE_SERVERS): Promise<ReferenceServer> {
  const port = await freePort();
  const spawned = spawnProcess(process.execPath, ['--input-type=module', '-e', REFERENCE_SERVERS[name]], { PORT: String(port) }, { cwd: REPO });
  const server = { ...spawned, url: `http://127.0.0.1:${port}`, port, pid: spawned.process.pid! };
  await waitFor(async () => {
    if (spawned.process.exitCode !== null) throw new Error(`${name} server exited: ${spawned.output()}`);
    return (await httpGet(`${server.url}/auth`).catch(() => undefined))?.status === 200;
  }, 10_000, `the ${name} server`);
  return server;
}
