import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Cache, CacheObserver } from '../cache/cache.js';
import { signingKeySet, type JsonWebKeySet } from './key-set.js';
import type { KeySetLoadReason } from './key-store.js';

export interface SharedKeySetOptions {
  /** Fetches the key set from Authgear. */
  load: (reason: KeySetLoadReason) => Promise<JsonWebKeySet>;
  cache: Cache;
  /** Cache key of this project's key set. */
  key: string;
  now: () => number;
  /** A start-up or refresh reuses a shared set younger than this instead of fetching. */
  reuseForMs: number;
  /** How long a set stays shared; a replica starting while Authgear is down falls back to it. */
  keepForMs: number;
  /** How long to wait for the peer holding the fetch lock before fetching anyway. */
  waitForPeerMs: number;
  pollMs?: number;
  observer?: CacheObserver;
}

interface SharedKeySet {
  jwks: JsonWebKeySet;
  fetchedAt: number;
}

const Stored = z.object({ fetchedAt: z.number(), jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wraps the key store's loader so replicas share one key set through the cache: one replica
 * fetches (holding a short lock), the others read what it stored. A set read from the
 * cache is filtered and parsed like one from Authgear. Any cache failure means "fetch it
 * yourself": sharing saves calls, it is never needed for an answer.
 */
export function shareKeySetLoads(options: SharedKeySetOptions): (reason: KeySetLoadReason) => Promise<JsonWebKeySet> {
  const { cache, now } = options;
  const lockKey = `${options.key}:lock`;
  let newestSeen = -Infinity;

  async function read(): Promise<SharedKeySet | undefined> {
    try {
      const text = await cache.get(options.key);
      const parsed = text === undefined ? undefined : Stored.safeParse(JSON.parse(text));
      const jwks = parsed?.success ? signingKeySet(parsed.data.jwks) : undefined;
      const shared = jwks && parsed?.success ? { fetchedAt: parsed.data.fetchedAt, jwks } : undefined;
      options.observer?.onCacheLookup?.('keys', cache.kind, shared ? 'hit' : 'miss');
      return shared;
    } catch {
      options.observer?.onCacheLookup?.('keys', cache.kind, 'error');
      return undefined;
    }
  }

  function adopt(shared: SharedKeySet): JsonWebKeySet {
    newestSeen = Math.max(newestSeen, shared.fetchedAt);
    return shared.jwks;
  }

  function reusable(shared: SharedKeySet, reason: KeySetLoadReason): boolean {
    const age = now() - shared.fetchedAt;
    // A set newer than ours may hold the kid (a peer met it first); ours does not.
    if (reason === 'unknown_kid') return shared.fetchedAt > newestSeen;
    return age < options.reuseForMs;
  }

  async function peerResult(after: number): Promise<SharedKeySet | undefined> {
    const deadline = Date.now() + options.waitForPeerMs;
    while (Date.now() < deadline) {
      await sleep(options.pollMs ?? 50);
      const shared = await read();
      if (shared && shared.fetchedAt > after) return shared;
    }
    return undefined;
  }

  return async function loadSharedKeySet(reason) {
    const shared = await read();
    if (shared && reusable(shared, reason)) return adopt(shared);
    const locked = await cache.add(lockKey, randomUUID(), options.waitForPeerMs).catch(() => undefined);
    if (locked === false) {
      const fromPeer = await peerResult(shared?.fetchedAt ?? -Infinity);
      if (fromPeer) return adopt(fromPeer);
    }
    try {
      // A peer may have stored a set and released the lock between our read and our lock.
      const storedMeanwhile = locked ? await read() : undefined;
      if (storedMeanwhile && reusable(storedMeanwhile, reason)) return adopt(storedMeanwhile);
      const jwks = await options.load(reason);
      const fetched = { jwks, fetchedAt: now() };
      await cache.set(options.key, JSON.stringify(fetched), options.keepForMs).catch(() => undefined);
      return adopt(fetched);
    } catch (error) {
      if (reason === 'startup' && shared) return adopt(shared);
      throw error;
    } finally {
      if (locked) await cache.del(lockKey).catch(() => undefined);
    }
  };
}
