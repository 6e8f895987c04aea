import { createGrowingLru } from '../cache/growing-lru.js';
import type { Authentication } from '../decision/authentication/authenticator.js';

type Headers = Authentication['headers'];

/** An identity's headers with its assertion, and when a newer one is due. */
export interface MintedHeaders {
  headers: Headers;
  /** In ms: from then on the next request gets a newly signed assertion. */
  renewAt: number;
}

export type MintHeaders = (authentication: Authentication, audience: string, rule: string | undefined, nowMs: number) => Promise<MintedHeaders>;

export interface AssertionCacheOptions {
  /** TOKEN_CACHE_MAX_ENTRIES: the same bound as the tokens the identities come from; 0 signs every time. */
  maxEntries: number;
  now: () => number;
  mint: MintHeaders;
}

/** The answer headers of an allow, assertion included: the same array request after request while it is fresh. */
export type HeadersWithAssertion = (authentication: Authentication, audience: string, rule: string | undefined) => Headers | Promise<Headers>;

const headersOf = (minted: MintedHeaders) => minted.headers;

/**
 * Signing stays off the hot path: an assertion is made once per identity, audience and rule,
 * and its headers are reused, synchronously, until it is due for renewal. The headers array
 * itself is reused, since the answer writer flattens each array once. Concurrent first
 * requests for the same key share one signature. Identity objects live as long as the token
 * or session cache keeps them, so the key names each by a number (a weak map, so an identity
 * the caches dropped takes its number with it); the entries are bounded, least recently used
 * first out.
 */
export function createAssertionCache(options: AssertionCacheOptions): HeadersWithAssertion {
  const { now, mint } = options;
  if (options.maxEntries === 0) return (authentication, audience, rule) => mint(authentication, audience, rule, now()).then(headersOf);
  const minted = createGrowingLru<MintedHeaders>(options.maxEntries);
  const minting = new Map<string, Promise<MintedHeaders>>();
  // Each identity's number, written once as the start of its keys.
  const prefixes = new WeakMap<object, string>();
  let nextSerial = 0;

  // Neither the number nor the audience (a host, or ASSERTION_AUDIENCE) holds a space.
  function keyOf(identity: object, audience: string, rule: string | undefined): string {
    let prefix = prefixes.get(identity);
    if (prefix === undefined) prefixes.set(identity, (prefix = `${nextSerial++} `));
    return rule === undefined ? prefix + audience : `${prefix}${audience} ${rule}`;
  }

  function mintOnce(key: string, authentication: Authentication, audience: string, rule: string | undefined, nowMs: number): Promise<MintedHeaders> {
    let pending = minting.get(key);
    if (pending === undefined) {
      pending = mint(authentication, audience, rule, nowMs).then(
        (fresh) => {
          minting.delete(key);
          minted.set(key, fresh);
          return fresh;
        },
        (error: unknown) => {
          minting.delete(key);
          throw error;
        },
      );
      minting.set(key, pending);
    }
    return pending;
  }

  return function headersWithAssertion(authentication, audience, rule) {
    const key = keyOf(authentication.identity, audience, rule);
    const nowMs = now();
    const known = minted.get(key);
    if (known !== undefined && nowMs < known.renewAt) return known.headers;
    return mintOnce(key, authentication, audience, rule, nowMs).then(headersOf);
  };
}
