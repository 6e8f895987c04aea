export interface MissCooldownOptions {
  /** Wait after one reload that found nothing new; each further one doubles it. */
  minMs: number;
  /** Longest wait, reached while made-up kids keep coming. */
  maxMs: number;
  now: () => number;
}

/**
 * Paces the key set reloads caused by kids we do not know. A fixed long wait let one stray kid
 * lock a real rotation out for all of it; no wait let a flood of random kids turn every request
 * into a JWKS fetch. So the wait starts at nothing, and grows (minMs, doubling, up to maxMs)
 * only while reloads find nothing new. A flood therefore reloads at 0, 1, 3, 7, 15, 31 s and
 * then every maxMs (defaults, 1 s and 30 s: at most 6 in any minute, 2 a minute once it lasts).
 */
export interface MissCooldown {
  /** Whether a reload for an unknown kid may start now; when it may, it counts as started. */
  tryStart(): boolean;
  /** A reload for an unknown kid found no key we lacked (or failed): the next one waits longer. */
  foundNothing(): void;
  /** A load brought keys we lacked: a rotation is under way, so its next kid must not wait. */
  foundNewKeys(): void;
}

export function createMissCooldown(options: MissCooldownOptions): MissCooldown {
  const { minMs, maxMs, now } = options;
  if (!(minMs > 0 && minMs <= maxMs && Number.isFinite(maxMs))) throw new RangeError(`miss cooldown needs 0 < min (${minMs}) <= max (${maxMs})`);
  let waitMs = 0;
  let lastStartAt = -Infinity;

  return {
    tryStart() {
      const at = now();
      // Stray kids hours apart are no flood; without forgetting, they would add up to the
      // longest wait and the lock-out a rotation must not meet. After twice the longest wait
      // without a reload, whatever flood there was has ended (one that goes on reloads every
      // maxMs, so it never gets this far).
      if (at - lastStartAt >= 2 * maxMs) waitMs = 0;
      if (at - lastStartAt < waitMs) return false;
      lastStartAt = at;
      return true;
    },
    foundNothing() {
      waitMs = Math.min(Math.max(waitMs * 2, minMs), maxMs);
    },
    foundNewKeys() {
      waitMs = 0;
    },
  };
}
