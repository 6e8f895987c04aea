import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnProcess, tempDir, type Spawned } from './processes.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

/** REDIS_HMAC_SECRET for the gates of one test file, made the way the docs say (32 random bytes). */
export const TEST_HMAC_SECRET = randomBytes(32).toString('base64');

/** One redis-cli command against a local port; undefined when nothing answers. */
export async function redisCli(port: number, ...args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

export interface RedisServer extends Spawned {
  port: number;
  url: string;
}

/** A real redis-server on loopback, nothing persisted; pass `port` to bring one back where it was. */
export async function startRedis(options: { port?: number; args?: string[] } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = tempDir('redis');
  const server = spawnProcess('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.args ?? []),
  ]);
  await waitFor(async () => {
    if (server.process.exitCode !== null) throw new Error(`redis-server exited: ${server.output()}`);
    return (await redisCli(port, 'ping')) === 'PONG';
  }, 10_000, 'redis-server to answer');
  return { ...server, port, url: `redis://127.0.0.1:${port}` };
}

/** A Sentinel watching `masterPort` under the name `master`. */
export async function startRedisSentinel(masterPort: number, master = 'gate-master'): Promise<RedisServer> {
  const port = await freePort();
  const dir = tempDir('sentinel');
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${master} 127.0.0.1 ${masterPort} 1\n`);
  const sentinel = spawnProcess('redis-server', [conf, '--sentinel']);
  await waitFor(async () => {
    if (sentinel.process.exitCode !== null) throw new Error(`sentinel exited: ${sentinel.output()}`);
    return (await redisCli(port, 'sentinel', 'get-master-addr-by-name', master))?.endsWith(String(masterPort)) ?? false;
  }, 10_000, 'the sentinel to know its master');
  return { ...sentinel, port, url: `redis://127.0.0.1:${port}` };
}

/** Three masters forming a Redis Cluster (no replicas), ready when every slot is served. */
export async function startRedisCluster(): Promise<{ nodes: RedisServer[]; urls: string[]; stop(): Promise<void> }> {
  const nodes: RedisServer[] = [];
  for (let index = 0; index < 3; index++) {
    nodes.push(await startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'] }));
  }
  const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
  await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
  await waitFor(async () => {
    const states = await Promise.all(nodes.map((node) => redisCli(node.port, 'cluster', 'info')));
    return states.every((info) => info?.includes('cluster_state:ok'));
  }, 20_000, 'the cluster to serve every slot');
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
