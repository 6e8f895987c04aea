import { captureLogs } from '../support/log-capture.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, DECISION_LOG_BUDGET } from '../../src/observability/logging.js';
import { valueOf } from '../support/prometheus.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';

let authgear: AuthgearStandIn;
let gate: TestGate;
let logs: ReturnType<typeof captureLogs>;
let nowMs = Date.now();

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  logs = captureLogs();
  gate = await startTestGate(authgear, { JWKS_MISS_COOLDOWN_SECONDS: '1' }, { logger: createLogger('debug', logs.stream), now: () => nowMs });
});
afterAll(async () => {
  await gate.close();
  await authgear.close();
});

const SECRET_COOKIE = 'cookie-secret-6b1f';
const SECRET_QUERY = 'query-secret-0c7d';

async function logOf(headers: Record<string, string>) {
  const from = logs.text.length;
  const response = await gate.auth({ 'x-original-uri': `/orders/7?access_token=${SECRET_QUERY}`, 'x-original-method': 'POST', 'x-original-host': 'shop.example.test', cookie: `app_session=${SECRET_COOKIE}; theme=dark`, ...headers });
  await new Promise((resolve) => setImmediate(resolve));
  return { response, text: logs.text.slice(from).join('\n'), lines: logs.lines().slice(from) };
}

describe('decision log lines', () => {
  it('log a denial at info with request id, original method/host/path, decision, reason and latency', async () => {
    const token = `${(await authgear.accessToken()).slice(0, -4)}AAAA`;
    const { response, lines, text } = await logOf({ ...bearer(token), 'x-request-id': 'req-3f9a' });
    expect(response.status).toBe(401);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      service: 'authgear-gate',
      msg: 'denied',
      requestId: 'req-3f9a',
      method: 'POST',
      host: 'shop.example.test',
      path: '/orders/7',
      decision: 'deny',
      status: 401,
      reason: 'bad_signature',
    });
    expect(typeof lines[0]!.latencyMs).toBe('number');
    for (const secret of [token, token.split('.')[2]!, SECRET_COOKIE, SECRET_QUERY, 'Bearer']) expect(text).not.toContain(secret);
  });

  it('log an allow at debug only, without the token', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-77' } });
    const { response, lines, text } = await logOf(bearer(token));
    expect(response.status).toBe(200);
    expect(lines).toEqual([expect.objectContaining({ level: 20, decision: 'allow', reason: 'allowed', via: 'jwt', path: '/orders/7' })]);
    expect(lines[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    for (const secret of [token, SECRET_COOKIE, SECRET_QUERY]) expect(text).not.toContain(secret);

    const quiet = captureLogs();
    const infoGate = await startTestGate(authgear, {}, { logger: createLogger('info', quiet.stream) });
    expect((await infoGate.auth(bearer(token))).status).toBe(200);
    expect((await infoGate.auth()).status).toBe(401);
    expect(quiet.lines().map((line) => line.decision)).toEqual(['deny']);
    await infoGate.close();
  });

  it('log a failed Authgear call at warn, and the affected request with its own line', async () => {
    authgear.setState('down');
    await authgear.rotate();
    nowMs += 2000;
    const token = await authgear.accessToken();
    const { lines, text } = await logOf({ ...bearer(token), 'x-request-id': 'req-77aa' });
    authgear.setState('up');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 40, msg: 'upstream call failed', upstream: 'jwks', outcome: 'network_error', latencyMs: expect.any(Number), error: expect.objectContaining({ code: 'upstream_failed' }) }),
        expect.objectContaining({ level: 40, msg: 'could not load signing keys', reason: 'unknown_kid' }),
        expect.objectContaining({ level: 30, requestId: 'req-77aa', reason: 'unknown_key', decision: 'deny' }),
      ]),
    );
    expect(text).not.toContain(token);
  });

  it('log a fail-closed 503 at warn with the error that caused it', async () => {
    const down = await startAuthgearStandIn();
    down.setState('down');
    const captured = captureLogs();
    const waiting = await startTestGate(down, {}, { start: false, logger: createLogger('info', captured.stream) });
    expect((await waiting.auth({ ...bearer(await down.accessToken()), 'x-request-id': 'req-503' })).status).toBe(503);
    expect(captured.lines()).toEqual([
      expect.objectContaining({ level: 40, requestId: 'req-503', status: 503, reason: 'keys_unavailable', error: expect.objectContaining({ code: 'keys_unavailable' }) }),
    ]);
    await waiting.close();
    await down.close();
  });
});

describe('decision log lines under a flood', () => {
  it('are at most DECISION_LOG_BUDGET.lines per reason and interval, then one line with how many were not logged; the metrics count every one', async () => {
    let floodNow = Date.now();
    const captured = captureLogs();
    const flooded = await startTestGate(authgear, {}, { logger: createLogger('info', captured.stream), now: () => floodNow });
    const { lines: budget, intervalMs } = DECISION_LOG_BUDGET;
    const deny = () => flooded.auth({ 'x-original-uri': '/orders/7' });
    for (let each = 0; each < budget + 50; each++) expect((await deny()).status).toBe(401);
    // Another reason has its own budget.
    expect((await flooded.auth({ authorization: 'Bearer not-a-jwt' })).status).toBe(401);
    floodNow += intervalMs;
    expect((await deny()).status).toBe(401);
    await new Promise((resolve) => setImmediate(resolve));

    const lines = captured.lines();
    const missing = lines.filter((line) => line.reason === 'credentials_missing');
    expect(missing.filter((line) => line.msg === 'denied')).toHaveLength(budget + 1);
    expect(missing.filter((line) => line.msg !== 'denied')).toEqual([
      expect.objectContaining({ level: 30, reason: 'credentials_missing', notLogged: 50, overMs: intervalMs, msg: expect.stringContaining('not logged') }),
    ]);
    // The count comes right before the first line of the next interval.
    expect(lines.at(-2)).toMatchObject({ notLogged: 50 });
    expect(lines.filter((line) => line.reason !== 'credentials_missing')).toEqual([expect.objectContaining({ msg: 'denied' })]);
    const metrics = await flooded.metrics.text();
    expect(valueOf(metrics, 'authgear_gate_decisions_total', { result: 'deny', reason: 'credentials_missing' })).toBe(budget + 51);
    await flooded.close();
  });
});

describe('the logger', () => {
  it('redacts Authorization and Cookie values should anything ever log headers', () => {
    const captured = captureLogs();
    const logger = createLogger('info', captured.stream);
    logger.info({ headers: { authorization: 'Bearer abc.def.ghi', cookie: 'app_session=xyz' }, token: 'raw-token' }, 'careless');
    expect(captured.text.join('\n')).not.toMatch(/abc\.def\.ghi|app_session=xyz|raw-token/);
    expect(captured.lines()[0]).toMatchObject({ headers: { authorization: '[redacted]', cookie: '[redacted]' }, token: '[redacted]' });
  });

  it('honours the configured level', () => {
    const captured = captureLogs();
    const logger = createLogger('warn', captured.stream);
    logger.info('hidden');
    logger.warn('shown');
    expect(captured.lines().map((line) => line.msg)).toEqual(['shown']);
  });
});
