import { captureLogs } from '../support/log-capture.js';
import { describe, expect, it } from 'vitest';
import { createRedisConnectionLog, createRejectionLog } from '../../src/observability/cache-logs.js';
import { createLogger } from '../../src/observability/logging.js';

function capturedLogger() {
  const { stream, lines } = captureLogs();
  return { logger: createLogger('info', stream), lines };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the rejected-entry log', () => {
  it('logs the first rejection at once, then at most one line per interval and cache, with the count since the last line', async () => {
    const { logger, lines } = capturedLogger();
    let now = 0;
    const log = createRejectionLog(logger, { intervalMs: 60_000, now: () => now });
    log('keys', 'unsigned');
    for (let i = 0; i < 500; i++) log('keys', 'bad_signature');
    log('resolver', 'bad_signature');
    now = 59_999;
    log('keys', 'unsigned');
    now = 60_000;
    log('keys', 'bad_signature');
    now = 200_000;
    log('keys', 'unsigned');
    await settle();
    expect(lines().map(({ cache, reason, rejected, level }) => ({ cache, reason, rejected, level }))).toEqual([
      { cache: 'keys', reason: 'unsigned', rejected: 1, level: 40 },
      { cache: 'resolver', reason: 'bad_signature', rejected: 1, level: 40 },
      { cache: 'keys', reason: 'bad_signature', rejected: 502, level: 40 },
      { cache: 'keys', reason: 'unsigned', rejected: 1, level: 40 },
    ]);
  });
});

describe('the Redis connection log', () => {
  it('has one line per state change, whatever ioredis reports in between', async () => {
    const { logger, lines } = capturedLogger();
    let now = 1_000;
    const log = createRedisConnectionLog(logger, () => now);
    log.onState('connecting');
    log.onState('ready');
    log.onError('connection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    log.onState('closed');
    log.onState('reconnecting');
    for (let attempt = 0; attempt < 30; attempt++) {
      now += 400;
      log.onState('connecting');
      log.onError('connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      log.onError('get', new Error('redis is reconnecting'));
      log.onState('closed');
      log.onState('reconnecting');
    }
    log.onState('connecting');
    log.onState('ready');
    log.onState('ready');
    // Our own shutdown: closed, never reconnecting.
    log.onState('closed');
    await settle();
    expect(lines().map(({ msg, level, error, failedAttempts, downForMs }) => ({ msg, level, error, failedAttempts, downForMs }))).toEqual([
      { msg: 'redis connection ready', level: 30, error: undefined, failedAttempts: undefined, downForMs: undefined },
      { msg: 'redis connection lost, reconnecting', level: 40, error: { code: 'ECONNRESET', message: 'read ECONNRESET' }, failedAttempts: undefined, downForMs: undefined },
      { msg: 'redis connection back', level: 30, error: undefined, failedAttempts: 30, downForMs: 12_000 },
    ]);
  });

  it('says when Redis was not there at start, once, and when it arrives', async () => {
    const { logger, lines } = capturedLogger();
    let now = 0;
    const log = createRedisConnectionLog(logger, () => now);
    for (let attempt = 0; attempt < 5; attempt++) {
      log.onState('connecting');
      log.onError('connection', new Error('connect ECONNREFUSED'));
      log.onState('reconnecting');
      now += 1000;
    }
    log.onState('ready');
    await settle();
    expect(lines().map(({ msg, failedAttempts, downForMs }) => ({ msg, failedAttempts, downForMs }))).toEqual([
      { msg: 'redis connection ready', failedAttempts: 5, downForMs: 5000 },
    ]);
  });
});
