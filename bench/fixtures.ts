import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessTokenClaims, startAuthgearStandIn, type AuthgearStandIn } from '../test/support/authgear-stand-in.js';
import { REPO, tempDir } from '../test/support/processes.js';
import { startRedis, TEST_HMAC_SECRET } from '../test/support/redis.js';
import { policyWithRules } from './policy-scale.js';
import { startSpanSink } from './span-sink.js';
import { mintTokens } from './tokens.js';

/** The sidecars of rows P1-P4: POLICY_FILE of 1 or many rules, the bench's request matching the last. */
export type PolicySidecarName = 'policy1Gate' | 'policy10kGate' | 'regex1Gate' | 'regex1kGate';
export type SidecarName = 'gate' | 'rawGate' | 'uncachedGate' | 'redisGate' | 'resolverGate' | 'assertionGate' | 'tracedGate' | PolicySidecarName;

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
  /**
   * As many junk tokens: the fresh tokens' header (the published kid) and claims, signed by a
   * key Authgear never published, so only the signature check refuses them (rows 3 junk, 2 flood).
   */
  junkTokens: string[];
  junkTokenFile: string;
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
    const claims = accessTokenClaims(authgear.origin, now, 3600);
    const freshTokens = await mintTokens({ key, claims, total: options.freshTokens });
    const forger = { ...(await authgear.newUnpublishedKey()), kid: key.kid };
    const junkTokens = await mintTokens({ key: forger, claims, total: options.freshTokens });
    const sessions = Array.from({ length: options.freshTokens }, () => authgear.sessions.issue('session').value);
    const dir = tempDir('bench');
    const writeLines = (name: string, lines: string[]) => {
      writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
      return join(dir, name);
    };
    const assertionKey = writeLines('assertion-key.pem', [String(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }))]);
    redis = await startRedis();
    sink = await startSpanSink();
    // The shipped default clock skew, stated: the verification step waits it out (verification.ts).
    const common = { AUTHGEAR_ENDPOINT: authgear.origin, LOG_LEVEL: 'warn', CLOCK_SKEW_SECONDS: '30' };
    const withPolicy = (name: string, count: number, kind: 'prefix' | 'regex') => ({ ...common, POLICY_FILE: writeLines(name, [policyWithRules(count, kind)]) });
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
        // The shipped gate with signed assertions on (an ES256 key).
        assertionGate: { ...common, ASSERTION_KEY_FILE: assertionKey },
        // #22's targets: 10,000 host + prefix rules at least 0.9x of one, 1,000 path_regex rules 0.5x.
        policy1Gate: withPolicy('policy-1.yaml', 1, 'prefix'),
        policy10kGate: withPolicy('policy-10k.yaml', 10_000, 'prefix'),
        regex1Gate: withPolicy('regex-1.yaml', 1, 'regex'),
        regex1kGate: withPolicy('regex-1k.yaml', 1_000, 'regex'),
        // Tracing on as advised for production: 1% of new traces, exported to a local sink.
        tracedGate: { ...common, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' },
      },
      cachedToken: await authgear.accessToken({ expiresIn: 3600 }),
      freshTokens,
      freshTokenFile: writeLines('fresh-tokens.txt', freshTokens),
      junkTokens,
      junkTokenFile: writeLines('junk-tokens.txt', junkTokens),
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
