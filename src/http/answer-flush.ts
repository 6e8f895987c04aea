import type { ServerResponse } from 'node:http';

export interface AnswerFlushOptions {
  /** Answers held at most: the one that makes them this many ends them all at once. */
  maxAnswers: number;
  /** How long, in ms, the first answer held may wait for the others decided after it. */
  maxHoldMs: number;
  /** A monotonic clock in ms (performance.now). */
  now: () => number;
  /** An answer whose end threw: the others are ended all the same. */
  onError: (error: unknown) => void;
}

/** Ends a response whose head is set: with the other answers of this turn of the event loop. */
export type AnswerFlush = (outgoing: ServerResponse) => void;

/** What the sidecar ships with: a batch of one poll's answers, never more than a millisecond. */
export const ANSWER_FLUSH = { maxAnswers: 32, maxHoldMs: 1 } as const;

/**
 * Flush consolidation, as Netty's FlushConsolidationHandler does it: the answers decided
 * during one turn of the event loop leave together when it ends (setImmediate runs right
 * after the poll phase that read their requests), not one by one as each is decided.
 *
 * Each answer written alone wakes the gateway's worker, which reads it and goes back to
 * sleep while the next is decided; waking a sleeping process is the largest single cost of
 * an answer after RSA (measured: about 15 µs of the sidecar's CPU per answer, on loopback in
 * a VM). Held together they wake it once. At low load a turn holds one answer, which leaves
 * as soon as its poll is done; under load an answer waits at most for `maxAnswers - 1` others
 * or `maxHoldMs`, whichever comes first.
 */
export function createAnswerFlush(options: AnswerFlushOptions): AnswerFlush {
  let held: ServerResponse[] = [];
  let firstHeldAt = 0;
  let flushScheduled = false;

  function flush(): void {
    const leaving = held;
    held = [];
    for (const outgoing of leaving) {
      try {
        outgoing.end();
      } catch (error) {
        options.onError(error);
      }
    }
  }

  function flushAtTurnEnd(): void {
    flushScheduled = false;
    flush();
  }

  return function endWithTurn(outgoing) {
    if (held.length === 0) firstHeldAt = options.now();
    held.push(outgoing);
    if (held.length >= options.maxAnswers || options.now() - firstHeldAt >= options.maxHoldMs) return flush();
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAtTurnEnd);
    }
  };
}
