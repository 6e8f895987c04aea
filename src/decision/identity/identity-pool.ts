import { hash } from 'node:crypto';
import { createGrowingLru } from '../../cache/growing-lru.js';
import type { AccessGrant } from './access-grant.js';
import { identityHeaders, type Identity } from './identity.js';

/** What a token proves about who sent it and what it grants, with the answer's headers. */
export interface SharedAccess {
  identity: Identity;
  grant: AccessGrant;
  /** Precomputed answer headers: a cache hit costs a hash and a lookup, nothing more. */
  headers: ReadonlyArray<readonly [string, string]>;
}

export interface IdentityPool {
  /** The record held for this identity and grant: an equal one made before, or this one now. */
  share(identity: Identity, grant: AccessGrant): SharedAccess;
}

/**
 * One record per identity and grant, however many of their tokens are cached: the tokens of a
 * user differ in jti, iat and exp, not in who they are or what they grant, so each cached token
 * holds a pointer and its expiry instead of a copy of its identity and headers (and the
 * gateways' flattened header lists, kept per header list, are shared too). A record is found
 * by the SHA-256 of its JSON, which only an equal identity and grant have. Bounded like the
 * token cache: a record it evicts only means the next token of that user gets a new one.
 * With no room (no token cache), nothing is shared.
 */
export function createIdentityPool(maxEntries: number): IdentityPool {
  if (maxEntries === 0) return { share: (identity, grant) => ({ identity, grant, headers: identityHeaders(identity, grant) }) };
  const records = createGrowingLru<SharedAccess>(maxEntries);
  return {
    share(identity, grant) {
      const key = hash('sha256', JSON.stringify([identity, grant]), 'base64url');
      let record = records.get(key);
      // identityHeaders refuses an identity too large to send: such a record is never kept.
      if (record === undefined) records.set(key, (record = { identity, grant, headers: identityHeaders(identity, grant) }));
      return record;
    },
  };
}
