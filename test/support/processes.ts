import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { waitFor } from './wait-for.js';
import { shippedNodeFlags } from './dockerfile-rules.js';

/** The repository root, found from here whether this file runs from test/ or compiled (npm run soak). */
function findRepo(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'nginx/nginx.conf'))) return dir;
  }
  throw new Error(`no repository root above ${from}`);
}

export const REPO = findRepo(import.meta.dirname);

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * Whether something accepts connections on the port. Gateways are waited for this way, not
 * with a request: every shipped route asks the sidecar, and a probe would be a decision.
 */
export function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
}

export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `authgear-gate-${name}-`));

export interface Spawned {
  process: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns a long-running process, keeping its output for failure messages. `options` may
 * set cwd, uid/gid, or `env` to replace (rather than extend) the environment, and `stdout`
 * a file descriptor to give the process as its stdout (then only stderr is kept).
 */
export function spawnProcess(command: string, args: string[], env: Record<string, string> = {}, options: Pick<SpawnOptions, 'cwd' | 'uid' | 'gid' | 'env'> & { stdout?: number } = {}): Spawned {
  const { stdout = 'pipe', ...spawnOptions } = options;
  const child = spawn(command, args, { env: { ...process.env, ...env }, ...spawnOptions, stdio: ['ignore', stdout, 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    process: child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((done, fail) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => done({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', fail);
  });
}

/** The V8 flags of the image's CMD (node [flags] dist/server.js), read once. */
export const SHIPPED_NODE_FLAGS: readonly string[] = shippedNodeFlags(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));

/** The built sidecar, started as its image's CMD would (node [flags] dist/server.js), ready when /readyz says so. */
export async function startGateProcess(
  env: Record<string, string>,
  options: { waitReady?: boolean; nodeArgs?: string[]; stdout?: number; /** Another entry point than the built server (the bench's Hono variant). */ entry?: string } = {},
): Promise<Spawned & { port: number; url: string }> {
  const port = await freePort();
  const gate = spawnProcess(process.execPath, [...SHIPPED_NODE_FLAGS, ...(options.nodeArgs ?? []), options.entry ?? join(REPO, 'dist/server.js')], { LISTEN_HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env }, options.stdout === undefined ? {} : { stdout: options.stdout });
  const url = `http://127.0.0.1:${port}`;
  // Generous: on a loaded 2-core machine two node processes starting at once (redis-sharing)
  // took over 10 s to listen; start-up time is not what these tests measure.
  await waitFor(async () => {
    if (gate.process.exitCode !== null) throw new Error(`gate exited: ${gate.output()}`);
    const answer = await httpGet(`${url}/${options.waitReady === false ? 'healthz' : 'readyz'}`).catch(() => undefined);
    return answer?.status === 200;
  }, 30_000, 'the gate to be ready');
  return { ...gate, port, url };
}

/** A stand-in for the protected app: answers with the headers it received, as JSON. */
export async function startEchoUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}

/** An operator's change to a shipped config file (path relative to its folder), e.g. adding a claim header. */
export type ConfigEdit = (file: string, text: string) => string;

function editFiles(dir: string, edit: ConfigEdit, under = '') {
  for (const entry of readdirSync(join(dir, under), { withFileTypes: true })) {
    const file = join(under, entry.name);
    if (entry.isDirectory()) editFiles(dir, edit, file);
    else writeFileSync(join(dir, file), edit(file, readFileSync(join(dir, file), 'utf8')));
  }
}

/**
 * Real nginx running the shipped nginx/ folder, with only the ports rewritten: the example
 * config is what is tested. An absolute `config` runs that file instead (a test fixture
 * reproducing what another product generates), beside the shipped snippets.
 */
export async function startNginx(options: { gatePort: number; appPort: number; config?: string; edit?: ConfigEdit }): Promise<Spawned & { port: number; url: string; prefix: string }> {
  const prefix = tempDir('nginx');
  const conf = join(prefix, 'conf');
  cpSync(join(REPO, 'nginx'), conf, { recursive: true });
  if (options.edit) editFiles(conf, options.edit);
  mkdirSync(join(prefix, 'logs'));
  const port = await freePort();
  const main = isAbsolute(options.config ?? '') ? join(conf, basename(options.config!)) : join(conf, options.config ?? 'nginx.conf');
  if (isAbsolute(options.config ?? '')) cpSync(options.config!, main);
  const text = readFileSync(main, 'utf8')
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${options.gatePort};`)
    .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${options.appPort};`)
    .replace(/listen 80;/, `listen 127.0.0.1:${port};`)
    .replace('worker_processes auto;', 'worker_processes 1;');
  writeFileSync(main, text);
  const nginx = spawnProcess('nginx', ['-p', prefix, '-c', main, '-e', 'stderr', '-g', 'daemon off; pid logs/nginx.pid;']);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (nginx.process.exitCode !== null) throw new Error(`nginx exited: ${nginx.output()}`);
    return accepts(port);
  }, 10_000, 'nginx to listen');
  return { ...nginx, port, url, prefix };
}

/** Real Caddy running the shipped caddy/Caddyfile (or `config`, another file of caddy/), ports rewritten, HOME kept in a temp dir. */
export async function startCaddy(options: { gatePort: number; appPort: number; edit?: ConfigEdit; config?: string }): Promise<Spawned & { port: number; url: string }> {
  const home = tempDir('caddy');
  const port = await freePort();
  const name = options.config ?? 'Caddyfile';
  const shipped = readFileSync(join(REPO, 'caddy', name), 'utf8');
  const text = (options.edit ? options.edit(name, shipped) : shipped)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${options.gatePort}`)
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${options.appPort}`)
    // Any Host (tests send the app's public name), but on loopback only.
    .replace(':8000 {', `http://:${port} {\n\tbind 127.0.0.1`);
  const file = join(home, 'Caddyfile');
  writeFileSync(file, text);
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data') };
  const caddy = spawnProcess('caddy', ['run', '--config', file, '--adapter', 'caddyfile'], env);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (caddy.process.exitCode !== null) throw new Error(`caddy exited: ${caddy.output()}`);
    return accepts(port);
  }, 10_000, 'caddy to listen');
  return { ...caddy, port, url };
}
