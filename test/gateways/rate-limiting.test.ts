import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { seenByApp } from '../support/gateway-stack.js';
import { REPO, startEchoUpstream, startGateProcess, startNginx, type Spawned } from '../support/processes.js';

// nginx/per-user-rate-limit.conf with real nginx in front of the built sidecar. The rate is
// lowered to 1 a minute with a burst of 2, so that the fourth request of a user within a
// minute is over the limit however slow this machine is.
const INVENTORY = 'https://api.example.com/inventory';
const slower = (_file: string, text: string) => text.replace('rate=10r/s', 'rate=1r/m').replace('burst=20', 'burst=2');

let authgear: AuthgearStandIn;
let app: Awaited<ReturnType<typeof startEchoUpstream>>;
let gate: Spawned & { port: number; url: string };
let nginx: Spawned & { url: string };
const running: Array<{ stop(): Promise<unknown> }> = [];

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  app = await startEchoUpstream();
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin });
  nginx = await startNginx({ gatePort: gate.port, appPort: app.port, config: 'per-user-rate-limit.conf', edit: slower });
  running.push(nginx);
});
afterAll(async () => {
  for (const process of running.reverse()) await process.stop();
  await gate?.stop();
  await app?.close();
  await authgear?.close();
});

const get = (url: string, token?: string) => fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
const statuses = async (url: string, token: string | undefined, count: number) => {
  const seen: number[] = [];
  for (let at = 0; at < count; at++) seen.push((await get(url, token)).status);
  return seen;
};
/** The sidecar's answers so far, from its own counter. */
async function decisions(): Promise<number> {
  const text = await (await fetch(`${gate.url}/metrics`)).text();
  return [...text.matchAll(/^authgear_gate_decisions_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe('nginx/per-user-rate-limit.conf', () => {
  it('answers 429 to a user over the limit, while another user goes on', async () => {
    const [alice, bob] = await Promise.all([authgear.accessToken({ claims: { sub: 'alice' } }), authgear.accessToken({ claims: { sub: 'bob' } })]);
    expect(await statuses(`${nginx.url}/api/orders`, alice, 4)).toEqual([200, 200, 200, 429]);
    const answer = await get(`${nginx.url}/api/orders`, bob);
    expect(answer.status).toBe(200);
    expect(seenByApp(await answer.text()).headers['x-authgear-user-id']).toBe('bob');
    // A new token of the same user shares the user's budget: the key is who, not which token.
    expect((await get(`${nginx.url}/api/orders`, await authgear.accessToken({ claims: { sub: 'alice' } }))).status).toBe(429);
  });

  it('still answers 401 without credentials, and a user who is refused uses no budget', async () => {
    expect(await statuses(`${nginx.url}/api/orders`, undefined, 5)).toEqual([401, 401, 401, 401, 401]);
    const expired = await authgear.accessToken({ claims: { sub: 'carol' }, expiresIn: -120 });
    expect(await statuses(`${nginx.url}/api/orders`, expired, 4)).toEqual([401, 401, 401, 401]);
    expect((await get(`${nginx.url}/api/orders`, await authgear.accessToken({ claims: { sub: 'carol' } }))).status).toBe(200);
  });

  it('gives each machine client its own budget, by client id', async () => {
    const machine = (clientId: string) => authgear.machineToken({ resource: INVENTORY, scopes: ['read:inventory'], clientId });
    expect(await statuses(`${nginx.url}/inventory/items`, await machine('warehouse'), 4)).toEqual([200, 200, 200, 429]);
    const other = await get(`${nginx.url}/inventory/items`, await machine('billing'));
    expect(other.status).toBe(200);
    expect(seenByApp(await other.text()).headers).toMatchObject({ 'x-authgear-client-id': 'billing', 'x-authgear-scope': 'read:inventory' });
  });

  it('passes the request on whole: method, path, query, body and identity', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'dave' } });
    const answer = await fetch(`${nginx.url}/api/orders?page=2`, { method: 'POST', body: 'x'.repeat(2000), headers: { authorization: `Bearer ${token}`, 'x-authgear-user-id': 'admin' } });
    expect(answer.status).toBe(200);
    const seen = seenByApp(await answer.text()) as { url: string; method?: string; headers: Record<string, string> };
    expect(seen).toMatchObject({ url: '/api/orders?page=2', method: 'POST' });
    expect(seen.headers).toMatchObject({ 'x-authgear-user-id': 'dave', 'content-length': '2000' });
  });

  it('asks the sidecar twice for an allowed request, once for one over the limit', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'erin' } });
    let before = await decisions();
    expect((await get(`${nginx.url}/api/orders`, token)).status).toBe(200);
    expect(await decisions()).toBe(before + 2);
    await statuses(`${nginx.url}/api/orders`, token, 2);
    before = await decisions();
    expect((await get(`${nginx.url}/api/orders`, token)).status).toBe(429);
    expect(await decisions()).toBe(before + 1);
  });
});

describe('limit_req beside auth_request in one location (test/fixtures/nginx-limit-req-before-auth.conf)', () => {
  it('limits nobody: the key is read before the sidecar has answered', async () => {
    const naive = await startNginx({ gatePort: gate.port, appPort: app.port, config: join(REPO, 'test/fixtures/nginx-limit-req-before-auth.conf') });
    running.push(naive);
    const token = await authgear.accessToken({ claims: { sub: 'frank' } });
    expect(await statuses(`${naive.url}/api/orders`, token, 6)).toEqual([200, 200, 200, 200, 200, 200]);
  });
});
