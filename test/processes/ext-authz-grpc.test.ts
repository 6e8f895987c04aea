import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { ROUTING_HEADERS } from '../../src/decision/request/routing-headers.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { envoyCheckRequest, extAuthzClient, headerValues, type CheckResponse, type ExtAuthzClient, type OriginalHttpRequest } from '../support/ext-authz-grpc-client.js';
import { freePort, httpGet, startGateProcess, type Spawned } from '../support/processes.js';
import { valueOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait-for.js';
import { REASON_HEADER } from '../support/answers.js';
import { writePolicy } from '../support/policies.js';

const APP = 'app.example.test';
const CALLBACK = `https://${APP}/oauth/callback`;
const POLICY = `
rules:
  - { name: health, match: { path_prefix: /healthz }, access: public }
  - { name: admin, match: { path_prefix: /admin/ }, roles: [admin] }
  - { name: deletes, match: { path_prefix: /orders/, methods: [DELETE] }, roles: [admin] }
`;
// google.rpc.Code, as Envoy reads CheckResponse.status
const OK = 0, PERMISSION_DENIED = 7, UNAVAILABLE = 14, UNAUTHENTICATED = 16;
const OVERWRITE_IF_EXISTS_OR_ADD = 2;

let authgear: AuthgearStandIn;
let gate: Spawned & { url: string };
let client: ExtAuthzClient;

async function startGrpcGate(env: Record<string, string>, options: { waitReady?: boolean } = {}) {
  const grpcPort = await freePort();
  const started = await startGateProcess({ EXT_AUTHZ_GRPC_PORT: String(grpcPort), ...env }, options);
  return { gate: started, client: extAuthzClient(grpcPort) };
}

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  const policy = writePolicy(POLICY);
  ({ gate, client } = await startGrpcGate({
    AUTHGEAR_ENDPOINT: authgear.origin, POLICY_FILE: policy, CLIENT_IDS: 'web', LOGIN_REDIRECT_URI: CALLBACK,
    CLAIM_HEADERS: 'https://app.example.test/tenant=x-authgear-tenant',
  }));
});
afterAll(async () => {
  client?.close();
  await gate?.stop();
  await authgear?.close();
});

const ask = (request: OriginalHttpRequest, via = client) =>
  via.check(envoyCheckRequest({ method: 'GET', host: APP, path: '/orders/7?x=1', scheme: 'https', ...request }));
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const denied = (response: CheckResponse) => ({
  rpc: response.status?.code ?? OK,
  status: response.denied_response?.status?.code,
  headers: headerValues(response.denied_response?.headers),
  ok: response.ok_response !== undefined,
});

describe('Envoy ext_authz over gRPC (envoy.service.auth.v3.Authorization/Check), the built server', () => {
  it('allows a valid token: status OK and the identity headers, each replacing any client copy', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-7', [CLAIMS.roles]: ['editor'], 'https://app.example.test/tenant': 't1' } });
    const response = await ask({ headers: bearer(token) });
    expect(response.status?.code ?? OK).toBe(OK);
    expect(response.denied_response).toBeUndefined();
    const headers = response.ok_response!.headers!;
    expect(headerValues(headers)).toMatchObject({ 'x-authgear-user-id': ['user-7'], 'x-authgear-user-roles': ['editor'], 'x-authgear-session-valid': ['true'], 'x-authgear-tenant': ['t1'] });
    // append present and false (what every Envoy reads: replace), and its successor append_action.
    for (const option of headers) expect([option.append !== undefined, option.append?.value ?? false, option.append_action]).toEqual([true, false, OVERWRITE_IF_EXISTS_OR_ADD]);
    expect(response.ok_response!.headers_to_remove ?? []).not.toContain('x-authgear-user-id');
  });

  it('never passes client-forged identity headers: the answer replaces or removes every built-in one', async () => {
    const forged = { 'x-authgear-user-id': 'admin', 'x-authgear-user-roles': 'admin', 'x-authgear-session-authenticated-at': '9999999999' };
    const token = await authgear.accessToken({ claims: { sub: 'user-8' }, omit: ['auth_time', CLAIMS.roles] });
    const allowed = await ask({ headers: { ...bearer(token), ...forged } });
    const set = headerValues(allowed.ok_response!.headers);
    const removed = allowed.ok_response!.headers_to_remove!;
    expect(set['x-authgear-user-id']).toEqual(['user-8']);
    for (const name of [...IDENTITY_HEADER_NAMES, ...Object.keys(forged)]) expect(name in set || removed.includes(name), name).toBe(true);
    expect(removed).toEqual(expect.arrayContaining(['x-authgear-user-roles', 'x-authgear-session-authenticated-at', 'x-authgear-tenant']));
    // A public route sets nothing, so it removes them all, even ones Envoy did not forward:
    // the claim header, the ID token header (the sidecar's to read, as every shipped proxy
    // config removes it too) and the headers apps read as the request's host or path.
    const open = await ask({ path: '/healthz', headers: forged });
    expect(open.ok_response!.headers ?? []).toEqual([]);
    expect([...open.ok_response!.headers_to_remove!].sort()).toEqual([...new Set([...IDENTITY_HEADER_NAMES, 'x-authgear-tenant', 'x-authgear-id-token', ...ROUTING_HEADERS])].sort());
  });

  it.each([
    'x_authgear_user_id', 'x-authgear_user-id', 'x.authgear.user.id', 'X_Authgear_User_Roles', 'x-authgear-user-is-admin', 'x-authgear-tenant', 'x~authgear~session~valid',
  ])('refuses a valid token with a client-sent %s (request_malformed), as /auth does: Envoy would forward it and CGI, WSGI and Rack apps read it as identity', async (name) => {
    const token = await authgear.accessToken();
    for (const request of [{ headers: { ...bearer(token), [name]: 'admin' } }, { rawHeaders: [['authorization', `Bearer ${token}`], [name, 'admin']] as Array<[string, string]> }]) {
      expect(denied(await ask(request))).toMatchObject({ rpc: UNAUTHENTICATED, status: 401, ok: false, headers: { [REASON_HEADER]: ['request_malformed'] } });
    }
    expect((await ask({ headers: bearer(token) })).ok_response).toBeDefined();
  });

  it('judges a method override as every method it names, and refuses one in another spelling', async () => {
    const editor = await authgear.accessToken({ claims: { [CLAIMS.roles]: ['editor'] } });
    expect((await ask({ method: 'POST', path: '/orders/1', headers: bearer(editor) })).ok_response).toBeDefined();
    expect(denied(await ask({ method: 'POST', path: '/orders/1', headers: { ...bearer(editor), 'x-http-method-override': 'DELETE' } }))).toMatchObject({ status: 403, headers: { [REASON_HEADER]: ['missing_role'] } });
    expect(denied(await ask({ method: 'POST', path: '/orders/1?_method=delete', headers: bearer(editor) }))).toMatchObject({ status: 403 });
    expect(denied(await ask({ method: 'POST', path: '/orders/1?_method=GET', headers: { ...bearer(editor), 'x-http-method-override': 'DELETE', x_http_method_override: 'GET' } })))
      .toMatchObject({ status: 401, headers: { [REASON_HEADER]: ['request_malformed'] } });
  });

  it('denies a request without credentials with 401 and the Bearer challenge', async () => {
    expect(denied(await ask({}))).toEqual({
      rpc: UNAUTHENTICATED, status: 401, ok: false,
      headers: { 'www-authenticate': ['Bearer realm="authgear-gate"'], [REASON_HEADER]: ['credentials_missing'], 'cache-control': ['no-store'] },
    });
    const expired = denied(await ask({ headers: bearer(await authgear.accessToken({ expiresIn: -120 })) }));
    expect(expired).toMatchObject({ rpc: UNAUTHENTICATED, status: 401, headers: { [REASON_HEADER]: ['token_expired'] } });
    expect(expired.headers['www-authenticate']![0]).toMatch(/^Bearer realm="authgear-gate", error="invalid_token"/);
  });

  it('sends a browser to Authgear login with a 302 Envoy passes to the client as it is', async () => {
    const answer = denied(await ask({ headers: { accept: 'text/html,application/xhtml+xml' } }));
    expect(answer).toMatchObject({ rpc: UNAUTHENTICATED, status: 302, ok: false });
    const location = new URL(answer.headers.location![0]!);
    expect(`${location.origin}${location.pathname}`).toBe(`${authgear.origin}/oauth2/authorize`);
    expect(location.searchParams.get('client_id')).toBe('web');
    expect(location.searchParams.get('redirect_uri')).toBe(CALLBACK);
  });

  it('forbids a signed-in user the policy refuses (403, PERMISSION_DENIED)', async () => {
    const token = await authgear.accessToken({ claims: { [CLAIMS.roles]: ['editor'] } });
    expect(denied(await ask({ path: '/admin/users', headers: bearer(token) }))).toMatchObject({
      rpc: PERMISSION_DENIED, status: 403, ok: false, headers: { [REASON_HEADER]: ['missing_role'] },
    });
    const admin = await authgear.accessToken({ claims: { [CLAIMS.roles]: ['admin'] } });
    expect((await ask({ path: '/admin/users', headers: bearer(admin) })).ok_response).toBeDefined();
  });

  it('reads the raw header list of encode_raw_headers, joining repeated Authorization into a refusal', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'raw-user' } });
    const raw = await ask({ rawHeaders: [['authorization', `Bearer ${token}`], ['x-authgear-user-id', 'admin']] });
    expect(headerValues(raw.ok_response!.headers)['x-authgear-user-id']).toEqual(['raw-user']);
    const twice = await ask({ rawHeaders: [['authorization', `Bearer ${token}`], ['authorization', 'Bearer other']] });
    expect(denied(twice)).toMatchObject({ status: 401, ok: false });
  });

  // Each with a valid token, so only the request itself can be the reason.
  const malformed = (http: OriginalHttpRequest) => (token: string) => envoyCheckRequest({ ...http, headers: bearer(token) });
  it.each<[string, (token: string) => Record<string, unknown> | Buffer]>([
    ['no attributes', () => ({})],
    ['no request.http', () => ({ attributes: { request: {} } })],
    ['bytes that are no CheckRequest', () => Buffer.from([0x0a, 0x09, 0xff, 0xff])],
    ['no method', malformed({ method: '', host: APP, path: '/' })],
    ['a bad method', malformed({ method: 'GET /x', host: APP, path: '/' })],
    ['no host', malformed({ method: 'GET', host: '', path: '/' })],
    ['a host with a space', malformed({ method: 'GET', host: 'app example.test', path: '/' })],
    ['a host with a path', malformed({ method: 'GET', host: 'app.example.test/x', path: '/' })],
    ['an empty path', malformed({ method: 'GET', host: APP, path: '' })],
    ['a path not starting with /', malformed({ method: 'GET', host: APP, path: 'orders' })],
    ['an absolute URL as path', malformed({ method: 'GET', host: APP, path: 'https://evil.example/admin/' })],
    ['a path with a space', malformed({ method: 'GET', host: APP, path: '/a b' })],
    ['a path with a NUL', malformed({ method: 'GET', host: APP, path: '/a\u0000b' })],
  ])('refuses %s with request_malformed, never OK, never a crash', async (_name, request) => {
    const token = await authgear.accessToken();
    expect(denied(await client.check(request(token)))).toMatchObject({ rpc: UNAUTHENTICATED, status: 401, ok: false, headers: { [REASON_HEADER]: ['request_malformed'] } });
    expect((await ask({ headers: bearer(token) })).ok_response).toBeDefined();
  });

  it('refuses a CheckRequest past its size bound at the transport (an error Envoy fails closed on) and keeps serving', async () => {
    const huge = envoyCheckRequest({ method: 'GET', host: APP, path: '/', headers: { 'x-padding': 'a'.repeat(200_000) } });
    await expect(client.check(huge)).rejects.toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED });
    expect(denied(await ask({}))).toMatchObject({ status: 401 });
  });

  it('answers 503 (a denial, not a failed call) before the deadline when the resolver is too slow', async () => {
    const session = authgear.sessions.issue('session');
    authgear.setState('up', 3000);
    try {
      const started = Date.now();
      const response = await client.check(envoyCheckRequest({ method: 'GET', host: APP, path: '/', headers: { cookie: `session=${session.value}` } }), { deadlineMs: 800 });
      expect(Date.now() - started).toBeLessThan(800);
      expect(denied(response)).toMatchObject({ rpc: UNAVAILABLE, status: 503, ok: false, headers: { [REASON_HEADER]: ['internal_error'], 'retry-after': ['5'] } });
    } finally {
      authgear.setState('up');
    }
  });

  it('counts its decisions in the metrics of /auth', async () => {
    const text = (await httpGet(`${gate.url}/metrics`)).body;
    expect(valueOf(text, 'authgear_gate_decisions_total', { result: 'allow', reason: 'allowed', via: 'jwt' })).toBeGreaterThan(0);
    expect(valueOf(text, 'authgear_gate_decisions_total', { result: 'deny', reason: 'request_malformed', via: 'none' })).toBeGreaterThanOrEqual(13);
  });
});

describe('ext_authz over gRPC when nothing can be decided', () => {
  it('answers 503 UNAVAILABLE with Retry-After while Authgear is down and no keys are loaded', async () => {
    const down = await startAuthgearStandIn();
    down.setState('down');
    const { gate: cold, client: coldClient } = await startGrpcGate({ AUTHGEAR_ENDPOINT: down.origin }, { waitReady: false });
    try {
      const response = await coldClient.check(envoyCheckRequest({ method: 'GET', host: APP, path: '/', headers: bearer(await down.accessToken()) }));
      expect(denied(response)).toMatchObject({ rpc: UNAVAILABLE, status: 503, ok: false, headers: { [REASON_HEADER]: ['keys_unavailable'], 'retry-after': ['5'] } });
    } finally {
      coldClient.close();
      await cold.stop();
      await down.close();
    }
  });
});

describe('ext_authz over gRPC at shutdown', () => {
  it('answers the calls in flight after SIGTERM, refuses new ones, and exits 0', async () => {
    const slow = await startAuthgearStandIn();
    const { gate: stopping, client: caller } = await startGrpcGate({ AUTHGEAR_ENDPOINT: slow.origin, SHUTDOWN_TIMEOUT_SECONDS: '20' });
    try {
      const session = slow.sessions.issue('session', { id: 'in-flight-user' });
      slow.setState('up', 700);
      const inFlight = caller.check(envoyCheckRequest({ method: 'GET', host: APP, path: '/', headers: { cookie: `session=${session.value}` } }));
      await waitFor(() => slow.inFlight() > 0, 5000, 'the resolver call to start');
      const exited = new Promise<number | null>((resolve) => stopping.process.on('exit', resolve));
      stopping.process.kill('SIGTERM');
      const answer = await inFlight;
      expect(headerValues(answer.ok_response?.headers)['x-authgear-user-id']).toEqual(['in-flight-user']);
      expect(await exited).toBe(0);
      await expect(caller.check(envoyCheckRequest({ method: 'GET', host: APP, path: '/' }), { deadlineMs: 1000 })).rejects.toMatchObject({ code: expect.any(Number) });
    } finally {
      caller.close();
      await stopping.stop('SIGKILL');
      await slow.close();
    }
  });
});
