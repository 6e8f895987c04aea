/**
 * A counting semaphore with a bounded queue and a deadline per waiter. During an Authgear
 * outage every call waits for its timeout; without a bound, a traffic spike would park
 * thousands of calls (and their sockets and memory) on a dependency that is not answering.
 */
export type LimitRefusal = 'queue_full' | 'queue_timeout';

export class LimitExceeded extends Error {
  override readonly name = 'LimitExceeded';
  constructor(readonly refusal: LimitRefusal) {
    super(refusal === 'queue_full' ? 'too many calls waiting for a free slot' : 'no free slot before the deadline');
  }
}

export interface ConcurrencyLimit {
  /** Resolves with a release function once a slot is free; rejects with LimitExceeded. */
  acquire(deadlineMs: number): Promise<() => void>;
  inFlight(): number;
  queued(): number;
}

export interface ConcurrencyLimitOptions {
  maxInFlight: number;
  maxQueued: number;
  /** Called whenever inFlight or queued changes, e.g. to feed gauges. */
  onChange?: (inFlight: number, queued: number) => void;
}

interface Waiter {
  grant: () => void;
  timer: NodeJS.Timeout;
}

export function createConcurrencyLimit(options: ConcurrencyLimitOptions): ConcurrencyLimit {
  if (options.maxInFlight < 1 || options.maxQueued < 0) throw new RangeError('maxInFlight must be >= 1 and maxQueued >= 0');
  let inFlight = 0;
  const waiters = new Set<Waiter>();
  const changed = () => options.onChange?.(inFlight, waiters.size);

  function releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand the slot straight to the oldest waiter (Set keeps insertion order).
      const next = waiters.values().next();
      if (next.done) inFlight--;
      else {
        waiters.delete(next.value);
        clearTimeout(next.value.timer);
        next.value.grant();
      }
      changed();
    };
  }

  function acquire(deadlineMs: number): Promise<() => void> {
    if (inFlight < options.maxInFlight) {
      inFlight++;
      changed();
      return Promise.resolve(releaser());
    }
    if (waiters.size >= options.maxQueued) return Promise.reject(new LimitExceeded('queue_full'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => resolve(releaser()),
        timer: setTimeout(() => {
          waiters.delete(waiter);
          changed();
          reject(new LimitExceeded('queue_timeout'));
        }, Math.max(0, deadlineMs)),
      };
      waiters.add(waiter);
      changed();
    });
  }

  return { acquire, inFlight: () => inFlight, queued: () => waiters.size };
}
