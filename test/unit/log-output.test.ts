import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogBudget } from '../../src/observability/log-budget.js';
import { createLogOutput, type LogDropReason } from '../../src/observability/log-output.js';
import { createLogger } from '../../src/observability/logging.js';

describe('the log budget (a fixed window per reason, on an injected clock)', () => {
  const budgetAt = (lines: number) => {
    let now = 1_000_000;
    const verdict = createLogBudget({ lines, intervalMs: 10_000, now: () => now });
    return { verdict, advance: (ms: number) => { now += ms; } };
  };

  it('writes the first lines of an interval and only counts the rest', () => {
    const { verdict } = budgetAt(3);
    expect(Array.from({ length: 5 }, () => verdict('bad_signature').write)).toEqual([true, true, true, false, false]);
  });

  it('says how many were left out on the first line after the interval, once', () => {
    const { verdict, advance } = budgetAt(2);
    for (let each = 0; each < 7; each++) verdict('bad_signature');
    advance(9_999);
    expect(verdict('bad_signature')).toEqual({ write: false, leftOut: 0, leftOutOverMs: 0 });
    advance(1);
    expect(verdict('bad_signature')).toEqual({ write: true, leftOut: 6, leftOutOverMs: 10_000 });
    expect(verdict('bad_signature')).toEqual({ write: true, leftOut: 0, leftOutOverMs: 0 });
    expect(verdict('bad_signature').write).toBe(false);
  });

  it('keeps one budget per reason: a flood of one leaves the others their lines', () => {
    const { verdict } = budgetAt(2);
    for (let each = 0; each < 1000; each++) verdict('bad_signature');
    expect([verdict('token_expired').write, verdict('token_expired').write, verdict('token_expired').write]).toEqual([true, true, false]);
  });

  it('has nothing to tell after a quiet interval, and starts afresh when the clock goes back', () => {
    const { verdict, advance } = budgetAt(1);
    verdict('credentials_missing');
    advance(60_000);
    expect(verdict('credentials_missing')).toEqual({ write: true, leftOut: 0, leftOutOverMs: 0 });
    verdict('credentials_missing');
    advance(-5_000);
    expect(verdict('credentials_missing')).toEqual({ write: true, leftOut: 1, leftOutOverMs: -5_000 });
  });
});

/** A reader that takes nothing: every write stays pending, as on a full pipe nobody reads. */
const stalled = () => new Writable({ write() { /* never done */ } });

function counted(stream: Writable, maxBuffered: number) {
  const drops: LogDropReason[] = [];
  return { output: createLogOutput(stream, { maxBuffered, onDrop: (reason) => drops.push(reason) }), drops };
}

describe('the log output', () => {
  it('holds at most its bound for a stalled reader, dropping and counting the lines past it', () => {
    const stream = stalled();
    const { output, drops } = counted(stream, 1000);
    for (let each = 0; each < 50; each++) output.write(`${'x'.repeat(99)}\n`);
    expect(stream.writableLength).toBe(1000);
    expect(drops).toEqual(Array(40).fill('buffer_full'));
  });

  it('never throws once the reader is gone (EPIPE): the lines after it are counted as output_failed', async () => {
    const broken = new Writable({ write(_chunk, _encoding, done) { done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })); } });
    const { output, drops } = counted(broken, 1000);
    output.write('first\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => output.write('second\n')).not.toThrow();
    expect(drops).toEqual(['output_failed']);
  });

  it('flushes within the time it is given, even when the reader never takes anything', async () => {
    const stream = stalled();
    const { output } = counted(stream, 1000);
    output.write('pending\n');
    await output.flush(20);
    expect(stream.writableLength).toBe(8);
  });

  it('flushes as soon as the reader has taken everything', async () => {
    const taken: string[] = [];
    const slow = new Writable({ write(chunk, _encoding, done) { setTimeout(() => { taken.push(String(chunk)); done(); }, 5); } });
    const { output } = counted(slow, 1000);
    for (const line of ['a\n', 'b\n', 'c\n']) output.write(line);
    await output.flush(60_000);
    expect(taken).toEqual(['a\n', 'b\n', 'c\n']);
  });

  it('is what pino writes to: a logger on a stalled output never blocks, and has no flushSync for fatal() to call', () => {
    const stream = stalled();
    const { output, drops } = counted(stream, 4096);
    const logger = createLogger('info', output);
    for (let each = 0; each < 100; each++) logger.fatal({ each }, 'still going');
    expect('flushSync' in output).toBe(false);
    expect(stream.writableLength).toBeLessThanOrEqual(4096);
    expect(drops.length).toBeGreaterThan(0);
  });
});
