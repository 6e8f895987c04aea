import type { ServerResponse } from 'node:http';
import type { AnswerEnd } from '../gateways/answer-writer.js';

export interface AnswerFlushOptions {
  /** An answer whose end threw: the others are ended all the same. */
  onError: (error: unknown) => void;
  /** Answers held at most: the one that makes them this many ends them all at once. Default 32. */
  maxAnswers?: number;
  /** How long, in ms, the first answer held may wait for the others decided after it. Default 1. */
  maxHoldMs?: number;
  /** A monotonic clock in ms. Default performance.now. */
  now?: () => number;
}

/**
 * Flush consolidation, as Netty's FlushConsolidationHandler does it: the answers decided
 * during one turn of the event loop leave together when it ends (setImmediate runs right
 * after the poll phase that read their requests), not one by one as each is decided.
 *
 * Each answer written alone wakes the gateway's worker, which reads it and goes back to
 * sleep while the next is decided; waking a sleeping process was the largest single cost of
 * an answer after RSA (measured: about 15 µs of the sidecar's CPU per answer, on loopback in
 * a VM). Held together they wake it once. Under load an answer waits at most for
 * `maxAnswers - 1` others or `maxHoldMs`, whichever comes first. At low load (the turn before
 * held one answer or none) the first answer of a turn leaves at once: held, a lone request's
 * answer would wait for Hono's adapter to finish with it, about 10 µs for nothing.
 */
export function createAnswerFlush(options: AnswerFlushOptions): AnswerEnd {
  const { onError, maxAnswers = 32, maxHoldMs = 1, now = () => performance.now() } = options;
  let held: ServerResponse[] = [];
  let firstHeldAt = 0;
  // Answers of this turn of the event loop so far, and of the turn before it.
  let answersThisTurn = 0;
  let answersLastTurn = 0;

  function end(outgoing: ServerResponse): void {
    try {
      outgoing.end();
    } catch (error) {
      onError(error);
    }
  }

  function flush(): void {
    const leaving = held;
    held = [];
    for (const outgoing of leaving) end(outgoing);
  }

  function endTurn(): void {
    answersLastTurn = answersThisTurn;
    answersThisTurn = 0;
    flush();
  }

  return function endWithTurn(outgoing) {
    if (answersThisTurn++ === 0) {
      setImmediate(endTurn);
      // After a turn of one answer (or none) nothing says another will follow: a lone
      // request's answer leaves at once.
      if (answersLastTurn <= 1) return end(outgoing);
    }
    const heldAt = now();
    if (held.length === 0) firstHeldAt = heldAt;
    held.push(outgoing);
    if (held.length >= maxAnswers || heldAt - firstHeldAt >= maxHoldMs) flush();
  };
}
