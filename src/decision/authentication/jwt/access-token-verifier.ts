import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { looksLikeJwt } from '../../credentials/credentials.js';
import { grantFromClaims, type AccessGrant } from '../../identity/access-grant.js';
import { identityHeaders, type Identity } from '../../identity/identity.js';
import { identityFromClaims, principalKindOf, type ClaimReport } from '../../identity/token-claims.js';
import type { JwtClaims, JwtKind, JwtVerifier } from './verify-jwt.js';

/**
 * A token whose signature, issuer, type and times were checked: what it proves whatever the
 * route. Its audience and scopes are not judged here but by each route's policy (the grant),
 * so the cache holds no route's verdict.
 */
export interface VerifiedAccess {
  identity: Identity;
  grant: AccessGrant;
  /** Precomputed answer headers: a cache hit costs a hash and a lookup, nothing more. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** exp, in ms. */
  expiresAt: number;
}

export interface AccessTokenVerifierOptions {
  verifyJwt: JwtVerifier;
  claimHeaders: ReadonlyArray<{ claim: string; header: string }>;
  cacheMaxEntries: number;
  now: () => number;
  onCacheLookup?: (outcome: 'hit' | 'miss') => void;
  /** Claim headers left out and roles ignored while reading a token's claims. */
  claimReport?: ClaimReport;
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

export const tokenDigest = (token: string): string => hash('sha256', token, 'base64url');

/**
 * RFC 9068: an ID token or any other JWT of the issuer is not an access token. No audience:
 * it depends on the route (resource, or ACCEPTED_AUDIENCES) and is judged by the policy on
 * every request, cached token or not.
 */
const ACCESS_TOKEN: JwtKind = { name: 'token', typ: 'at+jwt', requiredClaims: ['exp', 'sub'] };

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const verifyJwt = options.verifyJwt;
  const cache =
    options.cacheMaxEntries > 0 ? new LRUCache<string, VerifiedAccess>({ max: options.cacheMaxEntries }) : undefined;

  function lookUp(digest: string): VerifiedAccess | undefined {
    const cached = cache!.get(digest);
    if (cached === undefined || cached.expiresAt > options.now()) return cached;
    cache!.delete(digest);
    return undefined;
  }

  function verify(token: string): VerifiedAccess | Promise<VerifiedAccess> | undefined {
    const digest = cache ? tokenDigest(token) : undefined;
    const known = digest === undefined ? undefined : lookUp(digest);
    if (known) {
      options.onCacheLookup?.('hit');
      return known;
    }
    if (!looksLikeJwt(token)) return undefined;
    if (digest !== undefined) options.onCacheLookup?.('miss');
    return verifySignatureAndClaims(token, digest);
  }

  function verifySignatureAndClaims(token: string, digest: string | undefined): VerifiedAccess | Promise<VerifiedAccess> {
    const claims = verifyJwt(token, ACCESS_TOKEN);
    return claims instanceof Promise ? claims.then((verified) => remember(verified, digest)) : remember(claims, digest);
  }

  function remember(claims: JwtClaims, digest: string | undefined): VerifiedAccess {
    const grant = grantFromClaims(claims);
    const identity = identityFromClaims(claims, options.claimHeaders, principalKindOf(claims, grant), options.claimReport);
    const verified = { identity, grant, headers: identityHeaders(identity, grant), expiresAt: (claims['exp'] as number) * 1000 };
    if (digest !== undefined) cache!.set(digest, verified);
    return verified;
  }

  return {
    verify,
    cacheSize: () => cache?.size ?? 0,
  };
}
