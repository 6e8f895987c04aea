import type { Handler } from 'hono';
import type { Config } from '../config/load-config.js';
import type { AuthDecision } from '../decision/question.js';
import type { Logger } from '../observability/logging.js';

export interface ComposedAssertions {
  /** The decision with its allows signed, or the decision itself when assertions are off. */
  assert(decide: AuthDecision): AuthDecision;
  /** Routes of PORT: the assertion keys, when on. */
  routes: Array<{ path: string; handler: Handler }>;
}

const OFF: ComposedAssertions = { assert: (decide) => decide, routes: [] };

/** Signed assertions when ASSERTION_KEY_FILE is set (its keys were read with the configuration). */
export async function composeAssertions(config: Config, deps: { now: () => number; logger: Logger }): Promise<ComposedAssertions> {
  const keys = config.assertionKeys;
  if (keys === undefined) return OFF;
  // Loaded only when configured: a start without assertions loads none of src/assertion/.
  const { createAssertions } = await import('../assertion/assertions.js');
  const assertions = await createAssertions({
    keys,
    issuer: config.assertionIssuer,
    audience: config.assertionAudience,
    ttlSeconds: config.assertionTtlSeconds,
    cacheMaxEntries: config.tokenCacheMaxEntries,
    now: deps.now,
  });
  deps.logger.info(
    { alg: keys.signing.alg, kid: assertions.signingKid, previousKid: assertions.previousKid, path: assertions.route.path },
    'signed assertions on: every allow carries X-Authgear-Gate-Assertion',
  );
  return { assert: assertions.decorate, routes: [assertions.route] };
}
