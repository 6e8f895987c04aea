import type { EntryRejection, RedisConnectionState, SharedCacheName } from '../cache/cache.js';
import { createLogBudget } from './log-budget.js';
import { describeError, type Logger } from './logging.js';

/**
 * The cache's log lines, bounded: an outage or a flood of bad entries is one line when it
 * starts (and one when it ends), never a line per retry or per entry. Exact counts are in
 * the metrics.
 */

/**
 * A rejected shared entry: the first one is logged at once, later ones at most once per
 * interval per cache (the decision lines' log budget, one line per interval), with how many
 * were rejected since the last line. Never the key or the value: they are an attacker's
 * choice, or derived from a credential.
 */
export function createRejectionLog(logger: Logger, options: { intervalMs: number; now: () => number }): (cache: SharedCacheName, reason: EntryRejection) => void {
  const budget = createLogBudget({ lines: 1, intervalMs: options.intervalMs, now: options.now });
  return function logRejection(cache, reason) {
    const verdict = budget(cache);
    if (!verdict.write) return;
    logger.warn(
      { cache, reason, rejected: verdict.leftOut + 1 },
      'ignored shared entries that failed authentication: something other than this service wrote to Redis (or replayed an old entry), or the replicas do not share REDIS_HMAC_SECRET',
    );
  };
}

export interface RedisConnectionLog {
  onState(state: RedisConnectionState): void;
  onError(operation: string, error: unknown): void;
}

/**
 * One line per change of the Redis connection: ready (first time), lost, back. ioredis
 * retries every few hundred ms and reports each failed attempt; those are only counted, and
 * the line saying it is back tells how long it was away and how many attempts failed.
 */
export function createRedisConnectionLog(logger: Logger, now: () => number): RedisConnectionLog {
  let phase: 'starting' | 'up' | 'down' = 'starting';
  let since = now();
  let failedAttempts = 0;
  let lastError: unknown;
  return {
    onError(operation, error) {
      if (operation !== 'connection') return;
      failedAttempts++;
      lastError = error;
    },
    onState(state) {
      if (state === 'ready' && phase !== 'up') {
        const fields = { failedAttempts, downForMs: now() - since };
        if (phase === 'starting') logger.info(failedAttempts > 0 ? fields : {}, 'redis connection ready');
        else logger.info(fields, 'redis connection back');
        phase = 'up';
      } else if (state === 'reconnecting' && phase === 'up') {
        // Our own close at shutdown ends in 'closed' without 'reconnecting': not a loss.
        logger.warn({ error: describeError(lastError) }, 'redis connection lost, reconnecting');
        phase = 'down';
        since = now();
        failedAttempts = 0;
      } else return;
      lastError = undefined;
    },
  };
}
