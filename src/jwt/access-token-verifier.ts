import { hash } from 'node:crypto';
import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { SigningAlgorithm } from '../config.js';
import { Denial } from '../errors.js';
import { identityFromClaims, identityHeaders, type Identity } from '../identity.js';
import { denialFromJose } from './jose-denial.js';

export interface VerifiedAccess {
  identity: Identity;
  /** Precomputed answer headers: a cache hit costs a hash and a lookup, nothing more. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** exp, in ms. */
  expiresAt: number;
}

export interface AccessTokenVerifierOptions {
  getKey: JWTVerifyGetKey;
  issuer: string;
  audiences: string[];
  algorithms: SigningAlgorithm[];
  clockSkewSeconds: number;
  claimHeaders: ReadonlyArray<{ claim: string; header: string }>;
  cacheMaxEntries: number;
  now: () => number;
  onCacheLookup?: (outcome: 'hit' | 'miss') => void;
}

export interface AccessTokenVerifier {
  /** Resolves for a valid token, rejects with a Denial otherwise. */
  verify(token: string): Promise<VerifiedAccess>;
  /** A token verified before and not expired yet, from the cache alone; undefined otherwise. */
  recall(token: string): VerifiedAccess | undefined;
  /** Entries held by the in-process token cache. */
  cacheSize(): number;
}

export const tokenDigest = (token: string): string => hash('sha256', token, 'base64url');

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const cache =
    options.cacheMaxEntries > 0 ? new LRUCache<string, VerifiedAccess>({ max: options.cacheMaxEntries }) : undefined;

  function lookUp(digest: string): VerifiedAccess | undefined {
    const cached = cache!.get(digest);
    if (cached === undefined || cached.expiresAt > options.now()) return cached;
    cache!.delete(digest);
    return undefined;
  }

  async function verify(token: string): Promise<VerifiedAccess> {
    const digest = cache ? tokenDigest(token) : undefined;
    const known = digest === undefined ? undefined : lookUp(digest);
    if (digest !== undefined) options.onCacheLookup?.(known ? 'hit' : 'miss');
    if (known) return known;
    const now = options.now();
    let payload;
    try {
      ({ payload } = await jwtVerify(token, options.getKey, {
        algorithms: options.algorithms,
        issuer: options.issuer,
        audience: options.audiences,
        clockTolerance: options.clockSkewSeconds,
        // RFC 9068: an ID token or any other JWT of the issuer is not an access token.
        typ: 'at+jwt',
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now),
      }));
    } catch (error) {
      throw denialFromJose(error);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new Denial('claims_invalid', 'token sub claim is not a string');
    const identity = identityFromClaims(payload, options.claimHeaders);
    const verified = { identity, headers: identityHeaders(identity), expiresAt: payload.exp! * 1000 };
    if (digest !== undefined) cache!.set(digest, verified);
    return verified;
  }

  return {
    verify,
    recall(token) {
      const known = cache ? lookUp(tokenDigest(token)) : undefined;
      // A miss is counted once, by the verify() that follows it.
      if (known) options.onCacheLookup?.('hit');
      return known;
    },
    cacheSize: () => cache?.size ?? 0,
  };
}
