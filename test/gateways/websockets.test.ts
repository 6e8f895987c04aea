import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startCaddy, startGateProcess, startNginx, type Spawned } from '../support/processes.js';
import { startRealtimeApp } from '../support/realtime-app.js';

// nginx/websocket.conf, run by real nginx in front of the built sidecar and an app with a real
// WebSocket server (ws) and an event stream, and the shipped caddy/Caddyfile in front of the
// same. The client is Node's own WebSocket, which sends the headers it is given as a browser
// sends its cookies.
let authgear: AuthgearStandIn;
let app: Awaited<ReturnType<typeof startRealtimeApp>>;
let gate: Spawned & { port: number };
let nginx: Spawned & { url: string; port: number };

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  app = await startRealtimeApp();
  // Every session is asked of Authgear each time (no cache), so a revocation shows at once.
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, RESOLVER_POSITIVE_TTL_SECONDS: '0' });
  nginx = await startNginx({ gatePort: gate.port, appPort: app.port, config: 'websocket.conf' });
});
afterAll(async () => {
  await nginx?.stop();
  await gate?.stop();
  await app?.close();
  await authgear?.close();
});

function openSocket(path: string, headers: Record<string, string>, port = nginx.port): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers } as unknown as string[]);
  return new Promise((opened, failed) => {
    socket.onopen = () => opened(socket);
    socket.onerror = () => failed(new Error('the WebSocket did not open'));
  });
}

function echo(socket: WebSocket, text: string): Promise<string> {
  return new Promise((answered) => {
    socket.onmessage = (event) => answered(String(event.data));
    socket.send(text);
  });
}

/** An upgrade request as a client sends it, read as plain HTTP: the answer when there is no upgrade. */
function upgradeRequest(path: string, headers: Record<string, string> = {}, base = nginx.url): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((answered, failed) => {
    const request = http.request(`${base}${path}`, {
      agent: false,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), ...headers },
    });
    request.on('response', (response) => { response.resume(); answered({ status: response.statusCode!, headers: response.headers }); });
    request.on('upgrade', (response, socket) => { socket.destroy(); answered({ status: response.statusCode!, headers: response.headers }); });
    request.on('error', failed);
    request.end();
  });
}

describe('a WebSocket through nginx/websocket.conf', () => {
  it('opens with a valid session cookie: messages echo, and the app saw the identity, not a forged one', async () => {
    const { value, user } = authgear.sessions.issue('session', { roles: ['editor'] });
    const socket = await openSocket('/ws/chat', { cookie: `session=${value}`, 'x-authgear-user-id': 'admin' });
    try {
      expect(await echo(socket, 'hello')).toBe('hello');
      expect(await echo(socket, 'again')).toBe('again');
      expect(app.upgrades.at(-1)).toMatchObject({ 'x-authgear-user-id': user.id, 'x-authgear-user-roles': 'editor', upgrade: 'websocket' });
    } finally {
      socket.close();
    }
  });

  it('opens with a JWT access token too, for clients that can set Authorization', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-ws' } });
    const socket = await openSocket('/ws/chat', { authorization: `Bearer ${token}` });
    expect(await echo(socket, 'hi')).toBe('hi');
    expect(app.upgrades.at(-1)!['x-authgear-user-id']).toBe('user-ws');
    socket.close();
  });

  it('is refused without a session: the sidecar\'s 401, no upgrade, nothing reaches the app', async () => {
    const before = app.upgrades.length;
    const answer = await upgradeRequest('/ws/chat', { 'x-authgear-user-id': 'admin' });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="authgear-gate"');
    expect(answer.headers.upgrade).toBeUndefined();
    await expect(openSocket('/ws/chat', {})).rejects.toThrow(/did not open/);
    expect(app.upgrades.length).toBe(before);
  });

  it('is refused with a dead session, whose cookie the answer clears', async () => {
    const answer = await upgradeRequest('/ws/chat', { cookie: 'session=dead' });
    expect(answer.status).toBe(401);
    expect(answer.headers['set-cookie']).toEqual([expect.stringMatching(/^session=; .*Max-Age=0/)]);
  });

  it('is judged once, when it opens: a session revoked later keeps its open socket, and cannot open another', async () => {
    const { value } = authgear.sessions.issue('session');
    const socket = await openSocket('/ws/chat', { cookie: `session=${value}` });
    authgear.sessions.revoke(value);
    expect(await echo(socket, 'still here')).toBe('still here');
    expect((await upgradeRequest('/ws/chat', { cookie: `session=${value}` })).status).toBe(401);
    socket.close();
  });
});

describe('server-sent events through nginx/websocket.conf', () => {
  // gzip on for event streams, as an http-level gzip_types list may say: with proxy_buffering
  // on, events would then wait in gzip's buffer until the stream ends.
  let gzipped: Spawned & { url: string };
  beforeAll(async () => {
    const gzip = (_file: string, text: string) => text.replace('    access_log off;\n', '    access_log off;\n    gzip on;\n    gzip_types text/event-stream;\n    gzip_min_length 1;\n');
    gzipped = await startNginx({ gatePort: gate.port, appPort: app.port, config: 'websocket.conf', edit: gzip });
  });
  afterAll(async () => { await gzipped?.stop(); });

  it.each([['as shipped', () => nginx.url], ['with gzip on', () => gzipped.url]])('streams each event as the app writes it, to a signed-in user only (%s)', async (_how, url) => {
    const { value, user } = authgear.sessions.issue('session');
    const response = await fetch(`${url()}/events/feed`, { headers: { cookie: `session=${value}`, accept: 'text/event-stream' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    // The app holds the stream open after its first event: it arrives unbuffered, or never.
    let received = '';
    while (!received.includes('\n\n')) received += (await reader.read()).value;
    expect(received).toBe(`data: hello ${user.id}\n\n`);
    app.release();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += chunk.value;
    expect(received).toBe(`data: hello ${user.id}\n\ndata: bye\n\n`);
  });

  it('answers 401 without a session', async () => {
    const response = await fetch(`${nginx.url}/events/feed`, { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(401);
  });
});

describe('a WebSocket through the shipped caddy/Caddyfile (forward_auth)', () => {
  let caddy: Spawned & { port: number; url: string };
  beforeAll(async () => { caddy = await startCaddy({ gatePort: gate.port, appPort: app.port }); });
  afterAll(async () => { await caddy?.stop(); });

  it('opens with a valid session cookie, with the identity, and is refused (401, no upgrade) without one', async () => {
    const { value, user } = authgear.sessions.issue('session');
    const socket = await openSocket('/ws/chat', { cookie: `session=${value}`, 'x-authgear-user-id': 'admin' }, caddy.port);
    expect(await echo(socket, 'via caddy')).toBe('via caddy');
    expect(app.upgrades.at(-1)!['x-authgear-user-id']).toBe(user.id);
    socket.close();
    const before = app.upgrades.length;
    const refused = await upgradeRequest('/ws/chat', {}, caddy.url);
    expect(refused.status).toBe(401);
    expect(refused.headers.upgrade).toBeUndefined();
    expect(app.upgrades.length).toBe(before);
  });
});
