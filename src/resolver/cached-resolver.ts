import { hash } from 'node:crypto';
import { createGrowingLru } from '../cache/growing-lru.js';
import type { Cache, CacheObserver } from '../cache/cache.js';
import { createSingleFlight } from '../cache/single-flight.js';
import type { Credentials } from '../decision/credentials/credentials.js';
import { Denial } from '../decision/outcome.js';
import type { Resolution, ResolverAnswer, SessionResolver } from '../decision/authentication/session-resolver.js';
import { decodeStoredAnswer, encodeStoredAnswer, type StoredAnswer } from './resolver-answer.js';
import type { ResolverClient } from './resolver-client.js';

export interface CachedResolverOptions {
  resolver: ResolverClient;
  /** Where answers are shared: the process (memory) or every replica (Redis). */
  shared: Cache;
  /** Public origin: part of every key, so projects sharing a Redis never see each other's answers. */
  namespace: string;
  positiveTtlMs: number;
  negativeTtlMs: number;
  /** With a remote shared cache: how long answers are also kept in process (without one, their full TTL). */
  localTtlMs: number;
  localMaxEntries: number;
  /** How long past its TTL a valid answer may stand in for a failing resolver; 0 = never. */
  serveStaleMs: number;
  now: () => number;
  observer?: CacheObserver;
}


interface LocalEntry {
  stored: StoredAnswer;
  localUntil: number;
  /** The shared cache's text of `stored`: the same text read back needs no decoding. */
  text?: string;
}

/**
 * SHA-256 of everything the resolver is sent: the key never contains a token or a cookie.
 * Redis never sees it either: the shared cache stores under an HMAC of it (signed-cache), so
 * whoever reads Redis cannot confirm a guessed cookie by hashing it.
 */
export function credentialKey(namespace: string, credentials: Credentials): string {
  let hashed = `${namespace}\n${credentials.bearer ?? ''}`;
  for (const { name, value } of credentials.cookies) hashed += `\n${name}=${value}`;
  return `resolve:${hash('sha256', hashed, 'base64url')}`;
}

/**
 * Resolver answers through two tiers (in-process LRU, then the shared cache) and one flight
 * per key. An answer is only reused while fresh; past that it is kept for serve-stale alone.
 */
export function createCachedResolver(options: CachedResolverOptions): SessionResolver {
  const { shared, now, observer } = options;
  // Answers are kept decoded in process, so a hit costs a hash and a lookup. Without Redis
  // this is the only tier (the shared memory cache would only hold them again, as text).
  const inProcessOnly = shared.kind === 'memory';
  const local = createGrowingLru<LocalEntry>(options.localMaxEntries);
  const singleFlight = createSingleFlight<Resolution>();
  // While the shared cache fails, the local tier holds answers for their full TTL instead.
  let sharedHealthy = true;

  async function readShared(key: string, held: LocalEntry | undefined): Promise<{ stored: StoredAnswer; text: string } | undefined> {
    if (inProcessOnly) return undefined;
    try {
      const text = await shared.get(key);
      sharedHealthy = true;
      // Parsing and validating an answer cost more than the Redis round trip; the answer
      // held (past its local TTL) is reused when Redis still has the very same text.
      const stored = text === undefined ? undefined : held?.text === text ? held.stored : decodeStoredAnswer(text);
      observer?.onCacheLookup?.('resolver', shared.kind, stored ? 'hit' : 'miss');
      return stored && { stored, text: text! };
    } catch {
      sharedHealthy = false;
      observer?.onCacheLookup?.('resolver', shared.kind, 'error');
      return undefined;
    }
  }

  function remember(key: string, stored: StoredAnswer, keepMs: number, text?: string): void {
    if (keepMs <= 0) return;
    const localUntil = sharedHealthy && !inProcessOnly ? Math.min(now() + options.localTtlMs, stored.freshUntil) : stored.freshUntil;
    local.set(key, { stored, localUntil, ...(text !== undefined ? { text } : {}) }, { ttl: keepMs });
  }

  function store(key: string, answer: ResolverAnswer, at: number): void {
    const ttlMs = answer.valid ? options.positiveTtlMs : options.negativeTtlMs;
    const keepMs = ttlMs + (answer.valid ? options.serveStaleMs : 0);
    if (keepMs <= 0) return;
    const stored = { answer, freshUntil: at + ttlMs };
    if (inProcessOnly) return remember(key, stored, keepMs);
    const text = encodeStoredAnswer(stored);
    remember(key, stored, keepMs, text);
    shared.set(key, text, keepMs).then(
      () => { sharedHealthy = true; },
      () => { sharedHealthy = false; },
    );
  }

  function staleFallback(candidates: Array<StoredAnswer | undefined>, error: unknown): Resolution {
    const at = now();
    const usable = candidates
      .filter((stored): stored is StoredAnswer => stored?.answer.valid === true && at < stored.freshUntil + options.serveStaleMs)
      .sort((a, b) => b.freshUntil - a.freshUntil)[0];
    if (options.serveStaleMs <= 0 || !usable) throw new Denial('resolver_unavailable', 'the resolver did not answer', { cause: error });
    observer?.onServeStale?.();
    return { answer: usable.answer, stale: true, cache: usable === candidates[0] ? 'memory' : shared.kind };
  }

  async function lookUpThenResolve(key: string, credentials: Credentials, held: LocalEntry | undefined): Promise<Resolution> {
    const read = await readShared(key, held);
    const fromShared = read?.stored;
    if (read && now() < read.stored.freshUntil) {
      remember(key, read.stored, read.stored.freshUntil - now() + (read.stored.answer.valid ? options.serveStaleMs : 0), read.text);
      return { answer: read.stored.answer, stale: false, cache: shared.kind };
    }
    const known = held?.stored;
    const askedAt = now();
    let answer: ResolverAnswer;
    try {
      answer = await options.resolver.resolve(credentials);
    } catch (error) {
      return staleFallback([known, fromShared], error);
    }
    store(key, answer, askedAt);
    return { answer, stale: false, cache: 'none' };
  }

  const freshIn = (entry: LocalEntry | undefined): Resolution | undefined =>
    entry !== undefined && now() < entry.localUntil ? { answer: entry.stored.answer, stale: false, cache: 'memory' } : undefined;

  return {
    resolve(credentials) {
      const key = credentialKey(options.namespace, credentials);
      const entry = local.get(key);
      const resolution = freshIn(entry);
      observer?.onCacheLookup?.('resolver', 'memory', resolution ? 'hit' : 'miss');
      if (resolution) return resolution;
      return singleFlight(key, () => lookUpThenResolve(key, credentials, entry));
    },
  };
}
