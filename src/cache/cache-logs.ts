import type { Logger } from '../observability/logging.js';
import type { EntryRejection, SharedCacheName } from './cache.js';

/**
 * A rejected shared entry: the first one is logged at once, later ones at most once per
 * interval per cache, with how many were rejected since the last line. Never the key or
 * the value: they are an attacker's choice, or derived from a credential.
 */
export function createRejectionLog(logger: Logger, options: { intervalMs: number; now: () => number }): (cache: SharedCacheName, reason: EntryRejection) => void {
  const last = new Map<SharedCacheName, { loggedAt: number; unlogged: number }>();
  return function logRejection(cache, reason) {
    const seen = last.get(cache);
    const at = options.now();
    if (seen && at - seen.loggedAt < options.intervalMs) {
      seen.unlogged++;
      return;
    }
    const rejected = (seen?.unlogged ?? 0) + 1;
    last.set(cache, { loggedAt: at, unlogged: 0 });
    logger.warn(
      { cache, reason, rejected },
      'ignored shared entries that failed authentication: something other than this service wrote to Redis, or the replicas do not share REDIS_HMAC_SECRET',
    );
  };
}
