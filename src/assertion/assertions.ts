import type { AssertionKeys } from '../config/assertion-keys.js';
import { ASSERTION_HEADER } from '../decision/identity/identity.js';
import type { AuthDecision } from '../decision/question.js';
import { assertDecisions } from './assert-decision.js';
import { createAssertionCache } from './assertion-cache.js';
import { assertionClaims } from './assertion-claims.js';
import { createAssertionSigner } from './assertion-signer.js';
import { JWKS_PATH, publishKeys } from './published-keys.js';

export interface AssertionOptions {
  keys: AssertionKeys;
  /** ASSERTION_ISSUER. */
  issuer: string;
  /** ASSERTION_AUDIENCE; undefined: each original request's host. */
  audience: string | undefined;
  /** ASSERTION_TTL_SECONDS. */
  ttlSeconds: number;
  /** TOKEN_CACHE_MAX_ENTRIES. */
  cacheMaxEntries: number;
  now: () => number;
}

export interface Assertions {
  /** The decision, its allows carrying X-Authgear-Gate-Assertion. */
  decorate(decide: AuthDecision): AuthDecision;
  /** GET /.well-known/jwks.json, on PORT. */
  route: { path: string; handler: () => Response };
  signingKid: string;
  previousKid: string | undefined;
}

/**
 * Signed assertions of the identity, for apps that verify what reaches them instead of
 * trusting plain headers (Pomerium's X-Pomerium-Jwt-Assertion, Cloudflare Access's
 * Cf-Access-Jwt-Assertion). Loaded only when ASSERTION_KEY_FILE is set.
 */
export async function createAssertions(options: AssertionOptions): Promise<Assertions> {
  const published = await publishKeys(options.keys);
  const sign = await createAssertionSigner({ key: options.keys.signing, kid: published.signingKid, issuer: options.issuer, ttlSeconds: options.ttlSeconds });
  // Renewed once less than a third of its lifetime is left: the app never gets one about to
  // expire, and the identity's requests in between cost no signature.
  const renewBeforeMs = (options.ttlSeconds * 1000) / 3;
  const headersWithAssertion = createAssertionCache({
    maxEntries: options.cacheMaxEntries,
    now: options.now,
    async mint(authentication, audience, rule, nowMs) {
      const { token, expiresAt } = await sign(assertionClaims(authentication, rule), audience, nowMs);
      return { headers: [...authentication.headers, [ASSERTION_HEADER, token] as const], renewAt: expiresAt - renewBeforeMs };
    },
  });
  return {
    decorate: (decide) => assertDecisions(decide, { audience: options.audience, headersWithAssertion }),
    route: { path: JWKS_PATH, handler: published.route },
    signingKid: published.signingKid,
    previousKid: published.previousKid,
  };
}
