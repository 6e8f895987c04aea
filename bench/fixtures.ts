import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessTokenClaims, startAuthgearStandIn, type AuthgearStandIn } from '../test/support/authgear-stand-in.js';
import { REPO, tempDir } from '../test/support/processes.js';
import { startRedis, TEST_HMAC_SECRET } from '../test/support/redis.js';
import { startSpanSink } from './span-sink.js';
import { mintTokens } from './tokens.js';

export type SidecarName = 'gate' | 'rawGate' | 'uncachedGate' | 'redisGate' | 'resolverGate' | 'tracedGate';

/** What a sidecar runs: the built server, or for rawGate the same gate behind a bare Node listener. */
export const sidecarEntry = (name: SidecarName) =>
  name === 'rawGate' ? join(import.meta.dirname, 'raw-listener-server.js') : join(REPO, 'dist/server.js');

/** What every row needs before any server of its own: Authgear, Redis, credentials. */
export interface Fixtures {
  authgear: AuthgearStandIn;
  /** Each sidecar's environment: the rig's servers and the cost mode's start the same ones. */
  sidecarEnv: Record<SidecarName, Record<string, string>>;
  cachedToken: string;
  freshTokens: string[];
  /** The same tokens, one per line, for wrk. */
  freshTokenFile: string;
  /** Distinct Authgear session cookies the stand-in's resolver knows, and the same one per line. */
  sessions: string[];
  sessionFile: string;
  close(): Promise<void>;
}

export async function startFixtures(options: { freshTokens: number }): Promise<Fixtures> {
  const authgear = await startAuthgearStandIn();
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let sink: Awaited<ReturnType<typeof startSpanSink>> | undefined;
  try {
    const key = authgear.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const freshTokens = await mintTokens({ key, claims: accessTokenClaims(authgear.origin, now, 3600), total: options.freshTokens });
    const sessions = Array.from({ length: options.freshTokens }, () => authgear.sessions.issue('session').value);
    const dir = tempDir('bench');
    const writeLines = (name: string, lines: string[]) => {
      writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
      return join(dir, name);
    };
    redis = await startRedis();
    sink = await startSpanSink();
    const common = { AUTHGEAR_ENDPOINT: authgear.origin, LOG_LEVEL: 'warn' };
    return {
      authgear,
      sidecarEnv: {
        gate: common,
        rawGate: common,
        uncachedGate: { ...common, TOKEN_CACHE_MAX_ENTRIES: '0' },
        // Every request reads Redis: no in-process tier in front of it.
        redisGate: { ...common, REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET, RESOLVER_LOCAL_TTL_SECONDS: '0' },
        // Nothing is reused: every request asks the resolver.
        resolverGate: { ...common, RESOLVER_POSITIVE_TTL_SECONDS: '0' },
        // Tracing on as advised for production: 1% of new traces, exported to a local sink.
        tracedGate: { ...common, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' },
      },
      cachedToken: await authgear.accessToken({ expiresIn: 3600 }),
      freshTokens,
      freshTokenFile: writeLines('fresh-tokens.txt', freshTokens),
      sessions,
      sessionFile: writeLines('sessions.txt', sessions),
      async close() {
        await sink?.close();
        await redis?.stop();
        await authgear.close();
      },
    };
  } catch (error) {
    await sink?.close();
    await redis?.stop();
    await authgear.close();
    throw error;
  }
}
