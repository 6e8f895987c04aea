import { hash } from 'node:crypto';
import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { SigningAlgorithm } from './algorithms.js';
import { looksLikeJwt } from '../../credentials/credentials.js';
import { Denial } from '../../outcome.js';
import { grantFromClaims, type AccessGrant } from '../../identity/access-grant.js';
import { identityHeaders, type Identity } from '../../identity/identity.js';
import { identityFromClaims, principalKindOf } from '../../identity/token-claims.js';
import { denialFromJose } from './jose-denial.js';

/**
 * A token whose signature, issuer, type and times were checked: what it proves whatever the
 * route. Its audience and scopes are not judged here but by each route's policy (the grant),
 * so the cache holds no route's verdict.
 */
export interface VerifiedAccess {
  identity: Identity;
  grant: AccessGrant;
  /** Precomputed answer headers: a cache hit costs a hash of the signature and a lookup, nothing more. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** exp, in ms. */
  expiresAt: number;
}

export interface AccessTokenVerifierOptions {
  getKey: JWTVerifyGetKey;
  issuer: string;
  algorithms: SigningAlgorithm[];
  clockSkewSeconds: number;
  claimHeaders: ReadonlyArray<{ claim: string; header: string }>;
  cacheMaxEntries: number;
  now: () => number;
  onCacheLookup?: (outcome: 'hit' | 'miss') => void;
}

export interface AccessTokenVerifier {
  /**
   * A token verified before and not expired yet comes back at once, so the hot path awaits
   * nothing; any other JWT is verified (the promise rejects with a Denial). undefined: not a
   * JWT at all, an opaque token for the resolver. The shape is checked only on a cache miss.
   */
  verify(token: string): VerifiedAccess | Promise<VerifiedAccess> | undefined;
  /** Entries held by the in-process token cache. */
  cacheSize(): number;
}

/**
 * Where a token is kept in the cache: the SHA-256 of its signature alone (a sixth of the
 * token, hashing it was a quarter of a cached request's instructions), with the signed part
 * kept beside the entry and compared in full on every hit, so a hit still means this exact
 * token, and the cache holds no usable token (no signature) whatever a heap dump shows.
 */
function cacheKeyOf(token: string): { key: string; signedPart: string } {
  const dot = token.lastIndexOf('.');
  return { key: hash('sha256', dot === -1 ? token : token.slice(dot + 1), 'base64url'), signedPart: dot === -1 ? '' : token.slice(0, dot) };
}

type CacheKey = ReturnType<typeof cacheKeyOf>;

interface CacheEntry {
  verified: VerifiedAccess;
  signedPart: string;
}

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const cache =
    options.cacheMaxEntries > 0 ? new LRUCache<string, CacheEntry>({ max: options.cacheMaxEntries }) : undefined;

  function lookUp({ key, signedPart }: CacheKey): VerifiedAccess | undefined {
    const cached = cache!.get(key);
    // Another header or payload with a known signature is another token: verified afresh.
    if (cached === undefined || cached.signedPart !== signedPart) return undefined;
    if (cached.verified.expiresAt > options.now()) return cached.verified;
    cache!.delete(key);
    return undefined;
  }

  function verify(token: string): VerifiedAccess | Promise<VerifiedAccess> | undefined {
    const cacheKey = cache ? cacheKeyOf(token) : undefined;
    const known = cacheKey === undefined ? undefined : lookUp(cacheKey);
    if (known) {
      options.onCacheLookup?.('hit');
      return known;
    }
    if (!looksLikeJwt(token)) return undefined;
    if (cacheKey !== undefined) options.onCacheLookup?.('miss');
    return verifySignatureAndClaims(token, cacheKey);
  }

  async function verifySignatureAndClaims(token: string, cacheKey: CacheKey | undefined): Promise<VerifiedAccess> {
    const now = options.now();
    let payload;
    try {
      ({ payload } = await jwtVerify(token, options.getKey, {
        algorithms: options.algorithms,
        issuer: options.issuer,
        // No audience here: it depends on the route (resource, or ACCEPTED_AUDIENCES) and is
        // checked by the policy on every request, cached token or not.
        clockTolerance: options.clockSkewSeconds,
        // RFC 9068: an ID token or any other JWT of the issuer is not an access token.
        typ: 'at+jwt',
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now),
      }));
    } catch (error) {
      throw denialFromJose(error);
    }
    // jose compares iat with now only under maxTokenAge; issued in the future beyond the skew is
    // refused like an nbf there (a clock fault, and its exp would stretch its life by as much).
    if (typeof payload.iat === 'number' && payload.iat > Math.floor(now / 1000) + options.clockSkewSeconds) {
      throw new Denial('token_not_yet_valid', 'token iat claim is in the future');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new Denial('claims_invalid', 'token sub claim is not a string');
    const grant = grantFromClaims(payload);
    const identity = identityFromClaims(payload, options.claimHeaders, principalKindOf(payload, grant));
    const verified = { identity, grant, headers: identityHeaders(identity, grant), expiresAt: payload.exp! * 1000 };
    if (cacheKey !== undefined) cache!.set(cacheKey.key, { verified, signedPart: cacheKey.signedPart });
    return verified;
  }

  return {
    verify,
    cacheSize: () => cache?.size ?? 0,
  };
}
