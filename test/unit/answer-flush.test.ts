import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAnswerFlush } from '../../src/http/answer-flush.js';

/** A response that records when it was ended, in the order of `ended`. */
function responses(count: number, ended: number[], failing: ReadonlySet<number> = new Set()) {
  return Array.from({ length: count }, (_, index) => ({
    end() {
      if (failing.has(index)) throw new Error(`socket ${index} is gone`);
      ended.push(index);
    },
  }) as unknown as ServerResponse);
}

const nextTurn = () => new Promise((done) => setImmediate(done));

describe('answer flush: the answers of one turn of the event loop after its first leave together', () => {
  it('ends the first answer of a turn at once, holds the others until the turn ends, each once and in order', async () => {
    const ended: number[] = [];
    const flush = createAnswerFlush({ maxAnswers: 32, maxHoldMs: 1_000, now: () => 0, onError: () => {} });
    const held = responses(5, ended);
    for (const outgoing of held) flush(outgoing);
    await Promise.resolve();
    expect(ended).toEqual([0]);
    await nextTurn();
    expect(ended).toEqual([0, 1, 2, 3, 4]);
    await nextTurn();
    expect(ended).toEqual([0, 1, 2, 3, 4]);
  });

  it('ends a lone answer at once in every turn: a request at low load waits for nothing', async () => {
    const ended: number[] = [];
    const flush = createAnswerFlush({ maxAnswers: 32, maxHoldMs: 1_000, now: () => 0, onError: () => {} });
    const held = responses(3, ended);
    for (const [index, outgoing] of held.entries()) {
      flush(outgoing);
      expect(ended).toHaveLength(index + 1);
      await nextTurn();
    }
  });

  it('ends the held answers at once when maxAnswers are held, and the rest of the turn starts a new batch', async () => {
    const ended: number[] = [];
    const flush = createAnswerFlush({ maxAnswers: 3, maxHoldMs: 1_000, now: () => 0, onError: () => {} });
    const held = responses(8, ended);
    held.slice(0, 4).forEach(flush);
    expect(ended).toEqual([0, 1, 2, 3]);
    held.slice(4).forEach(flush);
    expect(ended).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await nextTurn();
    expect(ended).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('lets no answer wait longer than maxHoldMs for those decided after it', async () => {
    const ended: number[] = [];
    let clock = 100;
    const flush = createAnswerFlush({ maxAnswers: 32, maxHoldMs: 1, now: () => clock, onError: () => {} });
    const held = responses(5, ended);
    flush(held[0]!);
    flush(held[1]!);
    clock += 0.5;
    flush(held[2]!);
    expect(ended).toEqual([0]);
    clock += 0.5;
    flush(held[3]!);
    expect(ended).toEqual([0, 1, 2, 3]);
    // The next batch's hold starts with its own first answer.
    flush(held[4]!);
    expect(ended).toEqual([0, 1, 2, 3]);
    await nextTurn();
    expect(ended).toEqual([0, 1, 2, 3, 4]);
  });

  it('ends every other answer when one end throws, and reports that one', async () => {
    const ended: number[] = [];
    const errors: unknown[] = [];
    const flush = createAnswerFlush({ maxAnswers: 32, maxHoldMs: 1_000, now: () => 0, onError: (error) => errors.push(error) });
    responses(5, ended, new Set([0, 2])).forEach(flush);
    await nextTurn();
    expect(ended).toEqual([1, 3, 4]);
    expect(errors.map(String)).toEqual(['Error: socket 0 is gone', 'Error: socket 2 is gone']);
  });
});
