import { GateError } from '../errors.js';

/**
 * A store of short-lived strings shared by whoever holds the same instance: the process
 * (memory) or every replica (Redis). Deliberately narrow, so both implementations pass one
 * contract suite and callers cannot lean on anything Redis-specific.
 */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  /** undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores only if the key is absent; true when this call stored it (a lock between replicas). */
  add(key: string, value: string, ttlMs: number): Promise<boolean>;
  del(key: string): Promise<void>;
  /** Resolves when the store answers in time, rejects with a CacheError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store did not answer in time or at all; callers treat it as a miss, never as an answer. */
export class CacheError extends GateError {
  override readonly name = 'CacheError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('cache_unavailable', message, options);
  }
}

/** Which store a lookup went to, for metrics: the in-process LRU or Redis. */
export type CacheLayer = Cache['kind'];
export type CacheLookupOutcome = 'hit' | 'miss' | 'error';
/** The caches whose entries are shared between replicas. */
export type SharedCacheName = 'resolver' | 'keys';
/**
 * Why a shared entry was refused: no MAC at all, one this service's secret did not make for
 * this key, or a genuine one read past the expiry it was signed with (replayed).
 */
export type EntryRejection = 'unsigned' | 'bad_signature' | 'expired';

/**
 * What the caches report, so metrics can count them without the caches knowing about
 * metrics. Every member is optional; an absent observer costs nothing.
 */
export interface CacheObserver {
  onCacheLookup?(cache: SharedCacheName, layer: CacheLayer, outcome: CacheLookupOutcome): void;
  /** A shared entry failed authentication and was ignored (the lookup also counts as a miss). */
  onEntryRejected?(cache: SharedCacheName, reason: EntryRejection): void;
  /** A stale resolver answer was served because the resolver failed. */
  onServeStale?(): void;
  /** A Redis command or the connection failed (each is also a fallback to Authgear). */
  onRedisError?(operation: string, error: unknown): void;
  /** The Redis connection changed state. */
  onRedisState?(state: RedisConnectionState): void;
}

export type RedisConnectionState = 'connecting' | 'ready' | 'reconnecting' | 'closed';
