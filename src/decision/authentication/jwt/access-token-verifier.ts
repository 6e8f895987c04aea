import { hash } from 'node:crypto';
import { createGrowingLru } from '../../../cache/growing-lru.js';
import { verifiedPayload } from './compact-jws.js';
import { looksLikeJwt } from '../../credentials/credentials.js';
import { grantFromClaims } from '../../identity/access-grant.js';
import { createIdentityPool, type SharedAccess } from '../../identity/identity-pool.js';
import { NO_CLAIMS, pickClaims, type ClaimSelection, type SelectedClaims } from '../../identity/selected-claims.js';
import { identityFromClaims, principalKindOf, type ClaimReport } from '../../identity/token-claims.js';
import type { JwtClaims, JwtKind, JwtVerifier } from './verify-jwt.js';

/**
 * A token whose signature, issuer, type and times were checked: what it proves whatever the
 * route. Its audience and scopes are not judged here but by each route's policy (the grant),
 * so the cache holds no route's verdict.
 */
export interface VerifiedAccess extends SharedAccess {
  /** exp, in ms. */
  expiresAt: number;
  /** Read from the in-process token cache (true), or verified for this request. */
  cached: boolean;
  /** The selection `claims` were picked for: the policy's, when the token was verified or last asked for. */
  claimSelection: ClaimSelection;
  /** The claims the policy names in its conditions, and no others (most policies name none: a shared empty set). */
  claims: SelectedClaims;
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
   * `claims`: what the policy of the asking request names (its version's selection).
   */
  verify(token: string, claims?: ClaimSelection): VerifiedAccess | Promise<VerifiedAccess> | undefined;
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
    options.cacheMaxEntries > 0 ? createGrowingLru<VerifiedAccess>(options.cacheMaxEntries) : undefined;
  // Without a cache no token is kept, so there is nothing to share.
  const identities = createIdentityPool(cache ? options.cacheMaxEntries : 0);

  function lookUp(digest: string): VerifiedAccess | undefined {
    const cached = cache!.get(digest);
    if (cached === undefined || cached.expiresAt > options.now()) return cached;
    cache!.delete(digest);
    return undefined;
  }

  function verify(token: string, claims = NO_CLAIMS): VerifiedAccess | Promise<VerifiedAccess> | undefined {
    const digest = cache ? tokenDigest(token) : undefined;
    const known = digest === undefined ? undefined : lookUp(digest);
    if (known) {
      options.onCacheLookup?.('hit');
      return known.claimSelection === claims ? known : reselect(known, token, digest!, claims);
    }
    if (!looksLikeJwt(token)) return undefined;
    if (digest !== undefined) options.onCacheLookup?.('miss');
    return verifySignatureAndClaims(token, digest, claims);
  }

  /**
   * A reload changed the claims the policy names: the token is read again for them. It is the
   * very token verified before (its SHA-256 is the key), so its payload needs no new check.
   */
  function reselect(known: VerifiedAccess, token: string, digest: string, claims: ClaimSelection): VerifiedAccess {
    const reselected = { ...known, claimSelection: claims, claims: pickClaims(verifiedPayload(token), claims) };
    cache!.set(digest, reselected);
    return reselected;
  }

  function verifySignatureAndClaims(token: string, digest: string | undefined, claims: ClaimSelection): VerifiedAccess | Promise<VerifiedAccess> {
    const payload = verifyJwt(token, ACCESS_TOKEN);
    return payload instanceof Promise ? payload.then((verified) => remember(verified, digest, claims)) : remember(payload, digest, claims);
  }

  function remember(payload: JwtClaims, digest: string | undefined, claims: ClaimSelection): VerifiedAccess {
    const grant = grantFromClaims(payload);
    const identity = identityFromClaims(payload, options.claimHeaders, principalKindOf(payload, grant), options.claimReport);
    const verified = { ...identities.share(identity, grant), expiresAt: (payload['exp'] as number) * 1000, cached: false, claimSelection: claims, claims: pickClaims(payload, claims) };
    // What the cache holds says so when it is read; this request verified it.
    if (digest !== undefined) cache!.set(digest, { ...verified, cached: true });
    return verified;
  }

  return {
    verify,
    cacheSize: () => cache?.size ?? 0,
  };
}
