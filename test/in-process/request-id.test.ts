import { captureLogs } from '../support/log-capture.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestIdOf } from '../../src/decision/request/request-id.js';
import { checkRequestQuestion } from '../../src/gateways/ext-authz-grpc/check-request.js';
import type { CheckRequest } from '../../src/gateways/ext-authz-grpc/envoy-auth-messages.js';
import { createLogger } from '../../src/observability/logging.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate, type TestGate } from '../support/gate.js';
import { RawConnection } from '../support/raw-connection.js';

describe('the request id of an X-Request-ID header', () => {
  it('is the one copy when it is sane', () => {
    expect(requestIdOf('req-3f9a')).toBe('req-3f9a');
    expect(requestIdOf('0123456789abcdef0123456789abcdef')).toBe('0123456789abcdef0123456789abcdef');
    expect(requestIdOf(undefined)).toBeUndefined();
    for (const insane of ['', ' ', 'a b', 'x'.repeat(129), 'é', 'a\tb']) expect(requestIdOf(insane), JSON.stringify(insane)).toBeUndefined();
  });

  it('keeps the id sent twice, joined as Node (", ") or Envoy (",") joins copies', () => {
    expect(requestIdOf('abc, abc')).toBe('abc');
    expect(requestIdOf('abc,abc')).toBe('abc');
    expect(requestIdOf('abc, abc, abc')).toBe('abc');
  });

  it('takes the first valid copy when they differ: the gateway\'s own comes first', () => {
    expect(requestIdOf('gateway-id, snippet-id')).toBe('gateway-id');
    expect(requestIdOf(', snippet-id')).toBe('snippet-id');
    expect(requestIdOf(`${'x'.repeat(129)}, ok-1`)).toBe('ok-1');
    expect(requestIdOf('a b, c d')).toBeUndefined();
  });
});

describe('a request carrying X-Request-ID twice, through the real listener', () => {
  let authgear: AuthgearStandIn;
  let gate: TestGate;
  const logs = captureLogs();

  beforeAll(async () => {
    authgear = await startAuthgearStandIn();
    gate = await startTestGate(authgear, {}, { logger: createLogger('info', logs.stream) });
  });
  afterAll(async () => {
    await gate.close();
    await authgear.close();
  });

  /** A denied /auth request written byte for byte, with these X-Request-ID lines. */
  async function denialWithIds(ids: string[]) {
    const from = logs.text.length;
    const connection = new RawConnection(Number(new URL(gate.url).port));
    const head = ['GET /auth HTTP/1.1', 'Host: app.example.test', 'X-Original-URI: /orders/7', 'X-Original-Method: GET', ...ids.map((id) => `X-Request-ID: ${id}`)];
    const answer = await connection.send(Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'));
    connection.close();
    await new Promise((resolve) => setImmediate(resolve));
    return { status: answer.status, lines: logs.lines().slice(from), decision: gate.decisions.at(-1)! };
  }

  it('logs the id once when both copies agree (ingress-nginx plus a snippet setting it again)', async () => {
    const { status, lines, decision } = await denialWithIds(['4f1c2a9d7e', '4f1c2a9d7e']);
    expect(status).toBe(401);
    expect(decision.requestId).toBe('4f1c2a9d7e');
    expect(lines).toEqual([expect.objectContaining({ msg: 'denied', requestId: '4f1c2a9d7e', reason: 'credentials_missing' })]);
  });

  it('logs the first valid copy when they differ, never a fresh UUID', async () => {
    expect((await denialWithIds(['gateway-1', 'snippet-2'])).lines[0]).toMatchObject({ requestId: 'gateway-1' });
    expect((await denialWithIds(['not valid', 'snippet-3'])).lines[0]).toMatchObject({ requestId: 'snippet-3' });
  });

  it('still logs a fresh UUID when no copy is valid', async () => {
    expect((await denialWithIds(['a b', 'c d'])).lines[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the request id of an ext_authz gRPC CheckRequest', () => {
  const checkWith = (http: Record<string, unknown>) => checkRequestQuestion({ attributes: { request: { http: { method: 'GET', host: 'app.example.test', path: '/', ...http } } } } as CheckRequest);

  it('keeps an id sent twice, as Envoy joins the headers map ("a,a") or lists header_map', () => {
    expect(checkWith({ headers: { 'x-request-id': 'abc,abc' } }).header('x-request-id')).toBe('abc');
    expect(checkWith({ header_map: { headers: [{ key: 'x-request-id', value: 'abc' }, { key: 'X-Request-ID', raw_value: Buffer.from('abc') }] } }).header('x-request-id')).toBe('abc');
    expect(checkWith({ header_map: { headers: [{ key: 'x-request-id', value: 'first' }, { key: 'x-request-id', value: 'second' }] } }).header('x-request-id')).toBe('first');
  });

  it('falls back to the id Envoy gave the check when no client copy is valid', () => {
    expect(checkWith({ id: 'envoy-7', headers: { 'x-request-id': 'a b' } }).header('x-request-id')).toBe('envoy-7');
    expect(checkWith({ id: 'envoy-8' }).header('x-request-id')).toBe('envoy-8');
    expect(checkWith({}).header('x-request-id')).toBeUndefined();
  });
});
