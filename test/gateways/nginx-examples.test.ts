import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { REPO, startCaddy, startEchoUpstream, startGateProcess, startNginx, tempDir, type Spawned } from '../support/processes.js';
import { startRecordingAuth } from '../support/recording-auth.js';

type Gateway = Spawned & { url: string };
const FALLBACK_LOGIN = 'https://myapp.authgear.cloud/oauth2/authorize?';
const seenByApp = async (response: Response) => ((await response.json()) as { url: string; headers: Record<string, string> });
const get = (url: string, headers: Record<string, string> = {}, method = 'GET') => fetch(url, { method, headers, redirect: 'manual' });

let authgear: AuthgearStandIn;
let app: Awaited<ReturnType<typeof startEchoUpstream>>;
let gate: Spawned & { port: number };
const running: Array<{ stop(): Promise<unknown> } | { close(): Promise<unknown> }> = [];
async function started<T extends Gateway | Awaited<ReturnType<typeof startRecordingAuth>>>(thing: Promise<T>): Promise<T> {
  const value = await thing;
  running.push(value);
  return value;
}

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  app = await startEchoUpstream();
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin });
});
afterAll(async () => {
  for (const thing of running.reverse()) await ('stop' in thing ? thing.stop() : thing.close());
  await gate?.stop();
  await app?.close();
  await authgear?.close();
});

describe.each(readdirSync(join(REPO, 'nginx')).filter((name) => name.endsWith('.conf')))('nginx/%s', (config) => {
  it('passes nginx -t', () => {
    const prefix = tempDir('nginx-t');
    cpSync(join(REPO, 'nginx'), join(prefix, 'conf'), { recursive: true });
    mkdirSync(join(prefix, 'logs'));
    const output = execFileSync('nginx', ['-t', '-p', prefix, '-c', join(prefix, 'conf', config), '-e', 'stderr', '-g', 'pid logs/nginx.pid;'], { encoding: 'utf8', stdio: 'pipe' });
    expect(output).toBe('');
  });
});

describe('nginx/browser-login.conf in front of the sidecar', () => {
  let nginx: Gateway;
  beforeAll(async () => { nginx = await started(startNginx({ gatePort: gate.port, appPort: app.port, config: 'browser-login.conf' })); });

  it('sends a browser without a session to sign in, uncached', async () => {
    const answer = await get(`${nginx.url}/orders/7`);
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toMatch(new RegExp(`^${FALLBACK_LOGIN.replace(/[?.]/g, '\\$&')}`));
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('set-cookie')).toBeNull();
  });

  it("keeps the API's 401 and challenge instead of redirecting", async () => {
    const answer = await get(`${nginx.url}/api/orders`);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="authgear-gate"');
  });

  it('lets a signed-in user through to the page with the identity headers', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-7' } });
    const answer = await get(`${nginx.url}/orders/7`, { authorization: `Bearer ${token}`, 'x-authgear-user-id': 'admin' });
    expect(answer.status).toBe(200);
    expect((await seenByApp(answer)).headers['x-authgear-user-id']).toBe('user-7');
  });

  it('serves public assets with client-sent identity headers removed', async () => {
    const answer = await get(`${nginx.url}/assets/app.js`, { 'x-authgear-user-id': 'admin', 'x-authgear-user-roles': 'admin' });
    expect(answer.status).toBe(200);
    expect(Object.keys((await seenByApp(answer)).headers).filter((name) => name.startsWith('x-authgear-'))).toEqual([]);
  });
});

describe('nginx/browser-login.conf when the sidecar names the login URL', () => {
  const login = 'https://myapp.authgear.cloud/oauth2/authorize?client_id=c&state=s1&max_age=300';
  let nginx: Gateway;
  let auth: Awaited<ReturnType<typeof startRecordingAuth>>;
  beforeAll(async () => {
    auth = await started(startRecordingAuth(() => ({ status: 401, headers: { location: login, 'set-cookie': 'session=; Max-Age=0; Path=/; HttpOnly' } })));
    nginx = await started(startNginx({ gatePort: auth.port, appPort: app.port, config: 'browser-login.conf' }));
  });

  it('redirects there and passes on the cookie that clears a dead session', async () => {
    const answer = await get(`${nginx.url}/settings`, { cookie: 'session=expired' });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe(login);
    expect(answer.headers.get('set-cookie')).toBe('session=; Max-Age=0; Path=/; HttpOnly');
  });

  it('asks for a 5-minute-fresh sign-in on account pages, and redirects the same way', async () => {
    const answer = await get(`${nginx.url}/account/password`);
    expect(auth.requests.at(-1)!.url).toBe('/auth?max_age=300');
    expect(answer.headers.get('location')).toBe(login);
  });
});

describe('nginx/per-location-policies.conf', () => {
  const identity = { 'x-authgear-session-valid': 'true', 'x-authgear-user-id': 'u1' };
  let auth: Awaited<ReturnType<typeof startRecordingAuth>>;
  let recorded: Gateway;
  let real: Gateway;
  beforeAll(async () => {
    auth = await started(startRecordingAuth(() => ({ status: 200, headers: identity })));
    recorded = await started(startNginx({ gatePort: auth.port, appPort: app.port, config: 'per-location-policies.conf' }));
    real = await started(startNginx({ gatePort: gate.port, appPort: app.port, config: 'per-location-policies.conf' }));
  });
  const lastAuthRequest = () => auth.requests.at(-1)!;

  it.each([
    ['/api/orders?page=2', '/auth?'],
    ['/api/admin/users', '/auth?roles=admin'],
    ['/api/account/security/password', '/auth?max_age=300'],
    ['/api/admin/keys/rotate', '/auth?roles=admin&max_age=300'],
  ])('asks the sidecar about %s with %s', async (path, authUrl) => {
    const answer = await get(`${recorded.url}${path}`, {}, 'POST');
    expect(answer.status).toBe(200);
    expect(lastAuthRequest().url).toBe(authUrl);
    expect(lastAuthRequest().headers).toMatchObject({ 'x-original-uri': path, 'x-original-method': 'POST' });
  });

  // Apps route /api/admin and, when they ignore case (Express by default), /API/Admin/x to
  // the admin API too: a prefix location would give them the weaker requirement.
  it.each([
    ['/api/admin', '/auth?roles=admin'],
    ['/API/Admin/users', '/auth?roles=admin'],
    ['/api/ADMIN/keys', '/auth?roles=admin&max_age=300'],
    ['/api/Account/Security', '/auth?max_age=300'],
    ['/api/administrators', '/auth?'],
  ])('asks for the stricter requirement for %s: %s', async (path, authUrl) => {
    await get(`${recorded.url}${path}`);
    expect(lastAuthRequest().url).toBe(authUrl);
  });

  it('overwrites a client-sent original request, so the sidecar judges the real one', async () => {
    await get(`${recorded.url}/api/admin/users`, { 'x-original-uri': '/healthz', 'x-original-method': 'OPTIONS', 'x-original-host': 'evil.test' });
    expect(lastAuthRequest().headers).toMatchObject({ 'x-original-uri': '/api/admin/users', 'x-original-method': 'GET' });
    expect(lastAuthRequest().headers['x-original-host']).toMatch(/^127\.0\.0\.1$/);
  });

  it('never sends the sidecar a request body', async () => {
    await fetch(`${recorded.url}/api/orders`, { method: 'POST', body: 'x'.repeat(1000) });
    expect(lastAuthRequest().headers['content-length']).toBeUndefined();
    expect(lastAuthRequest().method).toBe('GET');
  });

  it('with the real sidecar: 401 without a token, the identity with one', async () => {
    expect((await get(`${real.url}/api/orders`)).status).toBe(401);
    const token = await authgear.accessToken({ claims: { sub: 'user-9' } });
    const answer = await get(`${real.url}/api/orders`, { authorization: `Bearer ${token}` });
    expect((await seenByApp(answer)).headers['x-authgear-user-id']).toBe('user-9');
    expect((await get(`${real.url}/healthz`)).status).toBe(200);
  });
});

describe.each(['nginx', 'caddy'] as const)('the stricter routes of the shipped %s config', (gateway) => {
  let auth: Awaited<ReturnType<typeof startRecordingAuth>>;
  let url: string;
  beforeAll(async () => {
    auth = await started(startRecordingAuth(() => ({ status: 200 })));
    const options = { gatePort: auth.port, appPort: app.port };
    url = (await started(gateway === 'nginx' ? startNginx(options) : startCaddy(options))).url;
  });

  it.each([
    ['/admin', '/auth?roles=admin'],
    ['/ADMIN/users', '/auth?roles=admin'],
    ['/Admin', '/auth?roles=admin'],
    ['/account', '/auth?max_age=300'],
    ['/Account/Password', '/auth?max_age=300'],
    ['/administrators', '/auth?'],
    ['/healthz', '/auth?access=public'],
    ['/HEALTHZ', '/auth?'],
    ['/healthz/x', '/auth?'],
  ])('%s asks the sidecar with %s', async (path, authUrl) => {
    await get(`${url}${path}`);
    // Caddy sends `uri /auth?` as /auth: an empty query, not the client's.
    expect(auth.requests.at(-1)!.url.replace(/\?$/, '')).toBe(authUrl.replace(/\?$/, ''));
  });
});

describe('caddy/Caddyfile', () => {
  it('does not pass a client-sent X-Original-URI to the sidecar, which then judges the real path', async () => {
    const auth = await started(startRecordingAuth(() => ({ status: 200 })));
    const caddy = await started(startCaddy({ gatePort: auth.port, appPort: app.port }));
    await get(`${caddy.url}/api/admin?x=1`, { 'x-original-uri': '/healthz', 'x-original-method': 'GET' });
    const request = auth.requests.at(-1)!;
    expect(request.headers['x-original-uri']).toBeUndefined();
    expect(request.headers['x-original-method']).toBeUndefined();
    expect(request.headers['x-forwarded-uri']).toBe('/api/admin?x=1');
  });
});
