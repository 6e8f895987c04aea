import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startOtlpReceiver, SPAN_KIND, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { startEchoUpstream, startGateProcess, startNginx, type Spawned } from '../support/processes.js';
import { startRedis, TEST_HMAC_SECRET, type RedisServer } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

// The built sidecar behind the shipped nginx config, exporting to an OTLP/HTTP receiver that
// decodes what arrives as a Collector would. Redis with no in-process tier in front of it, so
// a session's decision reads Redis, asks the resolver and writes Redis: every call out.

let authgear: AuthgearStandIn;
let receiver: OtlpReceiver;
let redis: RedisServer;
let app: Awaited<ReturnType<typeof startEchoUpstream>>;
let gate: Spawned & { port: number; url: string };
let nginx: Spawned & { url: string };

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  receiver = await startOtlpReceiver();
  redis = await startRedis();
  app = await startEchoUpstream();
  gate = await startGateProcess({
    AUTHGEAR_ENDPOINT: authgear.origin,
    REDIS_URL: redis.url,
    REDIS_HMAC_SECRET: TEST_HMAC_SECRET,
    RESOLVER_LOCAL_TTL_SECONDS: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'gate-under-test',
    // Exports every 50 ms: the test waits for spans, not for the 5 s default.
    OTEL_BSP_SCHEDULE_DELAY: '50',
    // Allows are logged at debug: the decision line shows its trace.
    LOG_LEVEL: 'debug',
  });
  nginx = await startNginx({ gatePort: gate.port, appPort: app.port });
});
afterAll(async () => {
  await nginx?.stop();
  await gate?.stop();
  await app?.close();
  await redis?.stop();
  await receiver?.close();
  await authgear?.close();
});

/** A traceparent as a gateway or a client starts a trace: new ids, sampled. */
function newTraceparent(): { traceparent: string; traceId: string; parentId: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceparent: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

async function spansOf(traceId: string, names: string[]): Promise<ReceivedSpan[]> {
  const of = () => receiver.spans.filter((span) => span.traceId === traceId);
  await waitFor(() => names.every((name) => of().some((span) => span.name === name)), 10_000, `spans ${names.join(', ')} of trace ${traceId}`);
  return of();
}

const named = (spans: ReceivedSpan[], name: string) => spans.find((span) => span.name === name)!;

describe('tracing through the shipped nginx config', () => {
  it('continues the traceparent nginx passed on the auth subrequest: one SERVER span per decision, with what was decided', async () => {
    const { traceparent, traceId, parentId } = newTraceparent();
    const token = await authgear.accessToken({ claims: { sub: 'alice-user-id' } });
    const answer = await fetch(`${nginx.url}/api/orders?page=2`, { headers: { authorization: `Bearer ${token}`, traceparent, tracestate: 'vendor=opaque' } });
    expect(answer.status).toBe(200);

    const decide = named(await spansOf(traceId, ['authgear_gate.decide']), 'authgear_gate.decide');
    expect(decide).toMatchObject({ parentSpanId: parentId, kind: SPAN_KIND.server, status: { code: 0 } });
    expect(decide.attributes).toEqual({
      'authgear_gate.gateway': 'nginx',
      'authgear_gate.outcome': 'allow',
      'authgear_gate.reason': 'allowed',
      'authgear_gate.principal': 'user',
      'authgear_gate.via': 'jwt',
      'authgear_gate.cache': 'none',
      'authgear_gate.request_id': expect.stringMatching(/^[0-9a-f]{32}$/),
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'url.path': '/api/orders',
      'url.scheme': 'http',
    });
    expect(decide.resource).toMatchObject({ 'service.name': 'gate-under-test' });
    // Never the token, nor who the user is (TRACE_USER_ID is not set).
    const everything = JSON.stringify(receiver.spans);
    expect(everything).not.toContain(token.split('.')[2]);
    expect(everything).not.toContain('alice-user-id');

    // The decision's log line carries the same trace.
    await waitFor(() => gate.output().includes(decide.spanId), 5000, 'the decision log line');
    const line = JSON.parse(gate.output().split('\n').find((each) => each.includes(decide.spanId))!);
    expect(line).toMatchObject({ msg: 'allowed', trace_id: traceId, span_id: decide.spanId });

    // The same token again: from the in-process cache.
    const again = newTraceparent();
    await fetch(`${nginx.url}/api/orders`, { headers: { authorization: `Bearer ${token}`, traceparent: again.traceparent } });
    expect(named(await spansOf(again.traceId, ['authgear_gate.decide']), 'authgear_gate.decide').attributes['authgear_gate.cache']).toBe('memory');
  });

  it('traces the resolver call and Redis commands as CLIENT children, and sends Authgear the same trace', async () => {
    const { traceparent, traceId } = newTraceparent();
    const session = authgear.sessions.issue('session').value;
    const asked = authgear.sessions.requests.length;
    const answer = await fetch(`${nginx.url}/api/orders`, { headers: { cookie: `session=${session}`, traceparent } });
    expect(answer.status).toBe(200);

    const spans = await spansOf(traceId, ['authgear_gate.decide', 'authgear_gate.resolver', 'authgear_gate.redis.get', 'authgear_gate.redis.set']);
    const decide = named(spans, 'authgear_gate.decide');
    expect(decide.attributes).toMatchObject({ 'authgear_gate.via': 'resolver', 'authgear_gate.cache': 'none', 'authgear_gate.principal': 'user' });
    const resolver = named(spans, 'authgear_gate.resolver');
    expect(resolver).toMatchObject({ parentSpanId: decide.spanId, kind: SPAN_KIND.client });
    expect(resolver.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.full': `${authgear.url}/_resolver/resolve` });
    for (const name of ['authgear_gate.redis.get', 'authgear_gate.redis.set']) {
      expect(named(spans, name)).toMatchObject({ parentSpanId: decide.spanId, kind: SPAN_KIND.client, attributes: { 'db.system.name': 'redis' } });
    }
    // Authgear was sent the trace, with the resolver call's span as the parent.
    const sent = authgear.sessions.requests.slice(asked).map((headers) => headers.traceparent);
    expect(sent).toEqual([`00-${traceId}-${resolver.spanId}-01`]);
    expect(JSON.stringify(spans)).not.toContain(session);

    // The next request with the same cookie is answered from Redis, without Authgear.
    const next = newTraceparent();
    await fetch(`${nginx.url}/api/orders`, { headers: { cookie: `session=${session}`, traceparent: next.traceparent } });
    const cached = await spansOf(next.traceId, ['authgear_gate.decide', 'authgear_gate.redis.get']);
    expect(named(cached, 'authgear_gate.decide').attributes['authgear_gate.cache']).toBe('redis');
    expect(cached.some((span) => span.name === 'authgear_gate.resolver')).toBe(false);
  });

  it('traces the key set fetch an unknown kid causes', async () => {
    const key = await authgear.rotate();
    const { traceparent, traceId } = newTraceparent();
    const answer = await fetch(`${nginx.url}/api/orders`, { headers: { authorization: `Bearer ${await authgear.accessToken({ key })}`, traceparent } });
    expect(answer.status).toBe(200);
    const spans = await spansOf(traceId, ['authgear_gate.decide', 'authgear_gate.jwks']);
    expect(named(spans, 'authgear_gate.jwks')).toMatchObject({ parentSpanId: named(spans, 'authgear_gate.decide').spanId, kind: SPAN_KIND.client, attributes: { 'http.response.status_code': 200 } });
  });

  it('records a refusal, and starts a trace of its own when the request carries none', async () => {
    const before = new Set(receiver.spans.map((span) => span.spanId));
    expect((await fetch(`${nginx.url}/api/orders`)).status).toBe(401);
    await waitFor(() => receiver.spans.some((span) => !before.has(span.spanId) && span.name === 'authgear_gate.decide'), 10_000, 'the refusal span');
    const refusal = receiver.spans.find((span) => !before.has(span.spanId) && span.name === 'authgear_gate.decide')!;
    expect(refusal.parentSpanId).toBe('');
    expect(refusal.attributes).toMatchObject({ 'authgear_gate.outcome': 'deny', 'authgear_gate.reason': 'credentials_missing', 'authgear_gate.cache': 'none', 'http.response.status_code': 401 });
    expect(refusal.attributes['authgear_gate.principal']).toBeUndefined();
  });
});
