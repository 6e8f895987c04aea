export interface LogBudgetOptions {
  /** Lines per key and interval. */
  lines: number;
  intervalMs: number;
  now: () => number;
}

/**
 * What to do with one line: write it or not, and before it, when the key's last interval
 * dropped lines, how many (to be said in one summary line).
 */
export interface LogVerdict {
  write: boolean;
  /** Lines of this key left out in its previous interval; 0 when none were. */
  leftOut: number;
  /** How long that interval ran, in ms (from its first line to this one). */
  leftOutOverMs: number;
}

const WRITE: LogVerdict = { write: true, leftOut: 0, leftOutOverMs: 0 };
const SKIP: LogVerdict = { write: false, leftOut: 0, leftOutOverMs: 0 };

/**
 * A fixed window per key (a reason code): the first `lines` lines of an interval are written,
 * the rest only counted; the first line after the interval carries the count, so a flood is
 * at most `lines` + 1 lines per key and interval, whatever its rate. The count of a flood
 * that stops is told by that key's next line. The map holds one entry per key ever seen:
 * callers key by a fixed vocabulary, never by request data.
 */
export function createLogBudget(options: LogBudgetOptions): (key: string) => LogVerdict {
  const windows = new Map<string, { startedAt: number; written: number; leftOut: number }>();
  return function verdict(key) {
    const at = options.now();
    const window = windows.get(key);
    if (!window || at - window.startedAt >= options.intervalMs || at < window.startedAt) {
      windows.set(key, { startedAt: at, written: 1, leftOut: 0 });
      return window && window.leftOut > 0 ? { write: true, leftOut: window.leftOut, leftOutOverMs: at - window.startedAt } : WRITE;
    }
    if (window.written < options.lines) {
      window.written++;
      return WRITE;
    }
    window.leftOut++;
    return SKIP;
  };
}
