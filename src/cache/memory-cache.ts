import { createGrowingLru } from './growing-lru.js';
import type { Cache } from './cache.js';

export interface MemoryCacheOptions {
  maxEntries: number;
  /** The clock TTLs run on, in ms (performance.now by default; tests move their own). */
  now?: () => number;
}

/** The embedded default: one process, bounded by entry count, each entry with its own TTL. */
export function createMemoryCache(options: MemoryCacheOptions): Cache {
  // A given clock is read each time (lru-cache would otherwise hold a reading for 1 ms).
  const clock = options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {};
  const entries = createGrowingLru<string>(options.maxEntries, clock);
  return {
    kind: 'memory',
    get: async (key) => entries.get(key),
    async set(key, value, ttlMs) {
      entries.set(key, value, { ttl: ttlMs });
    },
    async add(key, value, ttlMs) {
      if (entries.has(key)) return false;
      entries.set(key, value, { ttl: ttlMs });
      return true;
    },
    async del(key) {
      entries.delete(key);
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}
