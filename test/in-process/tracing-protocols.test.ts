import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { loadTracing } from '../../src/composition/tracing.js';
import { checkRequestQuestion } from '../../src/gateways/ext-authz-grpc/check-request.js';
import type { CheckRequest } from '../../src/gateways/ext-authz-grpc/envoy-auth-messages.js';
import { createLogger } from '../../src/observability/logging.js';
import type { Tracing } from '../../src/observability/tracing/tracing.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { startOtlpReceiver, SPAN_KIND, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { waitFor } from '../support/wait-for.js';

// Every protocol hands the decision its Trace Context through AuthQuestion.header: ForwardAuth's
// headers, ext_authz over HTTP, and a gRPC CheckRequest's headers map. Here with the real SDK,
// exporting to a receiver, and TRACE_USER_ID=true.

let authgear: AuthgearStandIn;
let receiver: OtlpReceiver;
let tracing: Tracing;
let gate: TestGate;
let token: string;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  receiver = await startOtlpReceiver();
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20', TRACE_USER_ID: 'true', EXT_AUTHZ_PORT: '9191' };
  const config = loadConfig({ AUTHGEAR_ENDPOINT: authgear.origin, ...env });
  tracing = (await loadTracing(config, { logger: createLogger('silent', process.stdout) }))!;
  gate = await startTestGate(authgear, env, { tracing });
  token = await authgear.accessToken({ claims: { sub: 'user-42' } });
});
afterAll(async () => {
  await gate?.close();
  await tracing?.close();
  await receiver?.close();
  await authgear?.close();
});

function newTrace(flags = '01') {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceparent: `00-${traceId}-${parentId}-${flags}`, traceId, parentId };
}

async function decisionSpan(traceId: string): Promise<ReceivedSpan> {
  await waitFor(() => receiver.spans.some((span) => span.traceId === traceId), 5000, `a span of ${traceId}`);
  return receiver.spans.find((span) => span.traceId === traceId && span.name === 'authgear_gate.decide')!;
}

describe('the Trace Context of each protocol', () => {
  it('ForwardAuth (Traefik, Caddy): X-Forwarded-* and the client\'s traceparent', async () => {
    const { traceparent, traceId, parentId } = newTrace();
    const answer = await gate.request('/auth', { headers: { 'x-forwarded-uri': '/app', 'x-forwarded-method': 'GET', 'x-forwarded-host': 'app.example.test', traceparent, ...bearer(token) } });
    expect(answer.status).toBe(200);
    const span = await decisionSpan(traceId);
    expect(span).toMatchObject({ parentSpanId: parentId, kind: SPAN_KIND.server });
    expect(span.attributes).toMatchObject({ 'authgear_gate.gateway': 'forward-auth', 'authgear_gate.outcome': 'allow', 'user.id': 'user-42' });
  });

  it('ext_authz over HTTP: the check request\'s headers', async () => {
    const { traceparent, traceId, parentId } = newTrace();
    const answer = await fetch(`http://127.0.0.1:${gate.extAuthzPort}/orders`, { headers: { host: 'app.example.test', traceparent, ...bearer(token) } });
    expect(answer.status).toBe(200);
    expect(await decisionSpan(traceId)).toMatchObject({ parentSpanId: parentId, attributes: { 'authgear_gate.gateway': 'ext-authz' } });
  });

  it('ext_authz over gRPC: the CheckRequest\'s headers map', async () => {
    const { traceparent, traceId, parentId } = newTrace();
    const question = checkRequestQuestion({ attributes: { request: { http: { method: 'GET', host: 'app.example.test', path: '/', headers: { traceparent, tracestate: 'k=v', authorization: `Bearer ${token}` } } } } } as CheckRequest);
    const outcome = await gate.decide(question);
    expect(outcome.kind).toBe('allow');
    expect(await decisionSpan(traceId)).toMatchObject({ parentSpanId: parentId, attributes: { 'authgear_gate.gateway': 'ext-authz', 'authgear_gate.cache': 'memory' } });
  });

  it('records nothing of a trace the gateway did not sample, and still logs its ids', async () => {
    const unsampled = newTrace('00');
    expect((await gate.auth({ traceparent: unsampled.traceparent, ...bearer(token) })).status).toBe(200);
    expect(gate.decisions.at(-1)!.trace).toMatchObject({ traceId: unsampled.traceId, spanId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const sampled = newTrace();
    await gate.auth({ traceparent: sampled.traceparent, ...bearer(token) });
    await decisionSpan(sampled.traceId);
    expect(receiver.spans.some((span) => span.traceId === unsampled.traceId)).toBe(false);
  });
});
