import { LRUCache } from 'lru-cache';
import type { Cache } from './cache.js';

/** The embedded default: one process, bounded by entry count, each entry with its own TTL. */
export function createMemoryCache(options: { maxEntries: number }): Cache {
  const entries = new LRUCache<string, string>({ max: options.maxEntries });
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
