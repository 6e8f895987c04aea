import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAnswerFlush, type AnswerFlushOptions } from '../../src/http/answer-flush.js';

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

/** A flush whose turns have been busy: the turn before held several answers. */
async function busyFlush(options: Partial<AnswerFlushOptions> = {}) {
  const flush = createAnswerFlush({ maxAnswers: 32, maxHoldMs: 1_000, now: () => 0, onError: () => {}, ...options });
  responses(2, []).forEach(flush);
  await nextTurn();
  return flush;
}

describe('answer flush: the answers of one turn of the event loop leave together', () => {
  it('under load holds the answers until the turn ends, then ends each once, in the order they were decided', async () => {
    const ended: number[] = [];
    const flush = await busyFlush();
    for (const outgoing of responses(5, ended)) flush(outgoing);
    await Promise.resolve();
    expect(ended).toEqual([]);
    await nextTurn();
    expect(ended).toEqual([0, 1, 2, 3, 4]);
    await nextTurn();
    expect(ended).toEqual([0, 1, 2, 3, 4]);
  });

  it('ends a lone answer at once: after a turn of one answer or none, a request waits for nothing', async () => {
    const ended: number[] = [];
    const flush = createAnswerFlush({ maxAnswers: 32, maxHoldMs: 1_000, now: () => 0, onError: () => {} });
    const held = responses(6, ended);
    for (const [index, outgoing] of held.slice(0, 3).entries()) {
      flush(outgoing);
      expect(ended).toHaveLength(index + 1);
      await nextTurn();
    }
    // Load arrives: the first answer of the busy turn still leaves at once, the next turn holds.
    held.slice(3, 5).forEach(flush);
    expect(ended).toEqual([0, 1, 2, 3]);
    await nextTurn();
    expect(ended).toEqual([0, 1, 2, 3, 4]);
    flush(held[5]!);
    expect(ended).toEqual([0, 1, 2, 3, 4]);
    await nextTurn();
    expect(ended).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('ends the held answers at once when maxAnswers are held, and the rest of the turn starts a new batch', async () => {
    const ended: number[] = [];
    const flush = await busyFlush({ maxAnswers: 3 });
    const held = responses(7, ended);
    held.slice(0, 3).forEach(flush);
    expect(ended).toEqual([0, 1, 2]);
    held.slice(3).forEach(flush);
    expect(ended).toEqual([0, 1, 2, 3, 4, 5]);
    await nextTurn();
    expect(ended).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('lets no answer wait longer than maxHoldMs for those decided after it', async () => {
    const ended: number[] = [];
    let clock = 100;
    const flush = await busyFlush({ maxHoldMs: 1, now: () => clock });
    const held = responses(4, ended);
    flush(held[0]!);
    clock += 0.5;
    flush(held[1]!);
    expect(ended).toEqual([]);
    clock += 0.5;
    flush(held[2]!);
    expect(ended).toEqual([0, 1, 2]);
    // The next batch's hold starts with its own first answer.
    flush(held[3]!);
    expect(ended).toEqual([0, 1, 2]);
    await nextTurn();
    expect(ended).toEqual([0, 1, 2, 3]);
  });

  it('ends every other answer when one end throws, and reports that one', async () => {
    const ended: number[] = [];
    const errors: unknown[] = [];
    const flush = await busyFlush({ onError: (error) => errors.push(error) });
    responses(4, ended, new Set([1])).forEach(flush);
    await nextTurn();
    expect(ended).toEqual([0, 2, 3]);
    expect(errors.map(String)).toEqual(['Error: socket 1 is gone']);
  });
});
