import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from './support/authgear-stand-in.js';
import { httpGet, startCaddy, startEchoUpstream, startGateProcess, startNginx, type Spawned } from './support/processes.js';

/** Browser sessions through real gateways: cookie -> sidecar -> resolver -> identity at the app. */
let authgear: AuthgearStandIn;
let app: Awaited<ReturnType<typeof startEchoUpstream>>;
let gate: Spawned & { port: number };
const gateways: Record<string, Spawned & { url: string }> = {};

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  app = await startEchoUpstream();
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin });
  gateways.nginx = await startNginx({ gatePort: gate.port, appPort: app.port });
  gateways.caddy = await startCaddy({ gatePort: gate.port, appPort: app.port });
});
afterAll(async () => {
  for (const gateway of Object.values(gateways)) await gateway.stop();
  await gate?.stop();
  await app?.close();
  await authgear?.close();
});

const seen = (body: string) => JSON.parse(body) as { url: string; headers: Record<string, string> };

describe.each(['nginx', 'caddy'])('a browser session through real %s', (name) => {
  const url = (path: string) => `${gateways[name]!.url}${path}`;

  it('reaches the app with the identity Authgear resolved, the app keeping its own cookies', async () => {
    const { value, user } = authgear.sessions.issue('session', { roles: ['editor'], amr: ['pwd', 'totp'] });
    const answer = await httpGet(url('/orders?page=2'), { cookie: `theme=dark; session=${value}`, 'x-authgear-user-id': 'admin', 'x-authgear-user-roles': 'admin' });
    expect(answer.status).toBe(200);
    const upstream = seen(answer.body);
    expect(upstream.url).toBe('/orders?page=2');
    expect(upstream.headers['x-authgear-user-id']).toBe(user.id);
    expect(upstream.headers['x-authgear-session-valid']).toBe('true');
    expect(upstream.headers['x-authgear-user-roles']).toBe('editor');
    expect(upstream.headers['x-authgear-session-amr']).toBe('pwd totp');
    expect(upstream.headers.cookie).toBe(`theme=dark; session=${value}`);
  });

  it('passes an opaque access token through the resolver too, and drops spoofed roles', async () => {
    const { value, user } = authgear.sessions.issue('bearer', { roles: [] });
    const answer = await httpGet(url('/api/x'), { authorization: `Bearer ${value}`, 'x-authgear-user-roles': 'admin' });
    expect(answer.status).toBe(200);
    expect(seen(answer.body).headers['x-authgear-user-id']).toBe(user.id);
    expect(seen(answer.body).headers).not.toHaveProperty('x-authgear-user-roles');
  });

  it('answers a dead session with 401 and the clearing Set-Cookie, and the app never sees it', async () => {
    const before = authgear.count(RESOLVE_PATH);
    const answer = await httpGet(url('/orders'), { cookie: `theme=dark; session=dead-${name}` });
    expect(answer.status).toBe(401);
    expect(answer.headers['set-cookie']).toEqual([expect.stringMatching(/^session=; .*Max-Age=0/)]);
    expect(answer.body).not.toContain('"headers"');
    expect(authgear.count(RESOLVE_PATH)).toBe(before + 1);
  });

  it('sends no Set-Cookie of its own on an allowed request', async () => {
    const { value } = authgear.sessions.issue('session');
    const answer = await httpGet(url('/orders'), { cookie: `session=${value}` });
    expect(answer.status).toBe(200);
    expect(answer.headers['set-cookie']).toBeUndefined();
  });
});
