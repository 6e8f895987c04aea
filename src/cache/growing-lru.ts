import { LRUCache } from 'lru-cache';

const COUNTS_ONE = () => 1;

/** What a growing LRU may be told besides its bound: the clock its TTLs run on. */
export type GrowingLruOptions = Pick<LRUCache.Options<string, {}, unknown>, 'perf' | 'ttlResolution'>;

/**
 * An LRU of at most `maxEntries` entries that allocates as it fills. Given `max`, lru-cache
 * allocates its index arrays for every entry up front (1.6 MB resident per 100,000, before a
 * single token was seen); bounded by maxSize with each entry counting one, the same cache
 * grows with its entries and evicts at the same bound, so an idle sidecar stays small.
 */
export function createGrowingLru<V extends {}>(maxEntries: number, options: GrowingLruOptions = {}): LRUCache<string, V> {
  return new LRUCache<string, V>({ ...options, maxSize: maxEntries, sizeCalculation: COUNTS_ONE });
}
