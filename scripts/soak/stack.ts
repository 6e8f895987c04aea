import { startAuthgearStandIn, type AuthgearStandIn } from '../../test/support/authgear-stand-in.js';
import { httpGet, startEchoUpstream, startGateProcess, startNginx, type Spawned } from '../../test/support/processes.js';
import { startRedis, TEST_HMAC_SECRET, type RedisServer } from '../../test/support/redis.js';

/**
 * The real chain the soak drives, all on loopback: nginx with the shipped config, the built
 * sidecar as its own process, the Authgear stand-in and an echo app, started with the same
 * helpers as the end-to-end tests.
 */
export interface SoakStack {
  authgear: AuthgearStandIn;
  gate: Spawned & { url: string };
  nginx: Spawned & { url: string };
  /** Processes that exited while they should have been running. */
  crashes(): string[];
  /** The Redis every replica would share; killed and brought back on the same port. */
  redis: { kill(): Promise<void>; restart(): Promise<void> };
  metrics(): Promise<string>;
  /** SIGTERM to the sidecar (while the load still runs), then everything else down. */
  stop(): Promise<{ gateExitCode: number | null }>;
}

export const SOAK_GATE_ENV = {
  UPSTREAM_TIMEOUT_MS: '1000',
  JWKS_MISS_COOLDOWN_SECONDS: '1',
  JWKS_REFRESH_SECONDS: '10',
  SHUTDOWN_TIMEOUT_SECONDS: '10',
  LOG_LEVEL: 'warn',
};

export async function startSoakStack(): Promise<SoakStack> {
  const authgear = await startAuthgearStandIn();
  const app = await startEchoUpstream();
  let redis: RedisServer = await startRedis();
  const redisPort = redis.port;
  const gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET, ...SOAK_GATE_ENV });
  const nginx = await startNginx({ gatePort: gate.port, appPort: app.port });
  const crashes: string[] = [];
  let stopping = false;
  for (const [name, spawned] of [['authgear-gate', gate], ['nginx', nginx]] as const) {
    spawned.process.on('exit', (code, signal) => {
      if (!stopping) crashes.push(`${name} exited (code ${code}, signal ${signal})`);
    });
  }
  return {
    authgear,
    gate,
    nginx,
    crashes: () => [...crashes],
    redis: {
      kill: async () => void (await redis.stop('SIGKILL')),
      restart: async () => {
        redis = await startRedis({ port: redisPort });
      },
    },
    metrics: async () => (await httpGet(`${gate.url}/metrics`)).body,
    async stop() {
      stopping = true;
      const gateExitCode = await gate.stop('SIGTERM');
      await nginx.stop();
      await redis.stop();
      await app.close();
      await authgear.close();
      return { gateExitCode };
    },
  };
}
