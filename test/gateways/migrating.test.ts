import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { seenByApp } from '../support/gateway-stack.js';
import { nginxProxySetHeaders } from '../support/nginx-config.js';
import { REPO, startCaddy, startEchoUpstream, startGateProcess, startNginx, type Spawned } from '../support/processes.js';
import { loadStrictSchema } from '../support/strict-schema.js';

// The migration examples (docs/migrating.md) run by real nginx and real Caddy in front of the
// built sidecar, which maps the email claim as docs/migrating.md says (CLAIM_HEADERS).
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const AUTHELIA = ['remote-user', 'remote-groups', 'remote-email', 'remote-name'];
const OAUTH2_PROXY = [
  'x-auth-request-user', 'x-auth-request-groups', 'x-auth-request-email', 'x-auth-request-preferred-username', 'x-auth-request-access-token',
  'x-forwarded-user', 'x-forwarded-groups', 'x-forwarded-email', 'x-forwarded-preferred-username', 'x-forwarded-access-token',
];
const forged = (names: string[]) => Object.fromEntries(names.map((name) => [name, 'admin']));
const only = (headers: Record<string, string>, names: string[]) => Object.fromEntries(Object.entries(headers).filter(([name]) => names.includes(name)));

let authgear: AuthgearStandIn;
let app: Awaited<ReturnType<typeof startEchoUpstream>>;
let gate: Spawned & { port: number };
const gateways: Partial<Record<'nginx' | 'caddy', Spawned & { url: string }>> = {};

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  app = await startEchoUpstream();
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, CLAIM_HEADERS: 'email=x-authgear-email' });
  gateways.nginx = await startNginx({ gatePort: gate.port, appPort: app.port, config: 'migrating.conf' });
  gateways.caddy = await startCaddy({ gatePort: gate.port, appPort: app.port, config: 'migrating.Caddyfile' });
});
afterAll(async () => {
  for (const gateway of Object.values(gateways)) await gateway.stop();
  await gate?.stop();
  await app?.close();
  await authgear?.close();
});

const seen = async (url: string, headers: Record<string, string> = {}) => {
  const answer = await fetch(url, { headers });
  expect(answer.status).toBe(200);
  return seenByApp(await answer.text()).headers;
};

describe.each(['nginx', 'caddy'] as const)("Authelia's names through real %s", (name) => {
  const url = (path: string) => `${gateways[name]!.url}${path}`;

  it('hands a JWT user Remote-User, Remote-Groups and the mapped email, replacing forged ones', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-7', email: 'ann@example.com', [CLAIMS.roles]: ['editor', 'viewer'] } });
    const headers = await seen(url('/wiki/page'), { authorization: `Bearer ${token}`, ...forged(AUTHELIA) });
    expect(only(headers, AUTHELIA)).toEqual({ 'remote-user': 'user-7', 'remote-groups': 'editor,viewer', 'remote-email': 'ann@example.com' });
  });

  it('gives a session its user id, but no groups when it has no roles and no email (sessions carry no claims)', async () => {
    const { value, user } = authgear.sessions.issue('session', { roles: [] });
    const headers = await seen(url('/wiki/page'), { cookie: `session=${value}`, ...forged(AUTHELIA) });
    expect(only(headers, AUTHELIA)).toEqual({ 'remote-user': user.id });
  });

  it('lets no forged old name through on the public page', async () => {
    expect(only(await seen(url('/healthz'), forged(AUTHELIA)), AUTHELIA)).toEqual({});
  });

  it('still refuses a request without credentials', async () => {
    expect((await fetch(url('/wiki/page'), { headers: forged(AUTHELIA) })).status).toBe(401);
  });
});

describe("oauth2-proxy's names through real nginx (nginx/authgear-gate/oauth2-proxy-names.conf)", () => {
  const url = (path: string) => `${gateways.nginx!.url}${path}`;

  it('hands X-Auth-Request-* and X-Forwarded-* from the answer, and removes the ones the sidecar does not give', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-8', email: 'bo@example.com', [CLAIMS.roles]: ['ops'] } });
    const headers = await seen(url('/reports/weekly'), { authorization: `Bearer ${token}`, ...forged(OAUTH2_PROXY) });
    expect(only(headers, OAUTH2_PROXY)).toEqual({
      'x-auth-request-user': 'user-8', 'x-forwarded-user': 'user-8',
      'x-auth-request-groups': 'ops', 'x-forwarded-groups': 'ops',
      'x-auth-request-email': 'bo@example.com', 'x-forwarded-email': 'bo@example.com',
    });
    expect(headers.authorization).toBe(`Bearer ${token}`);
  });

  it('still refuses a request without credentials', async () => {
    expect((await fetch(url('/reports/weekly'), { headers: forged(OAUTH2_PROXY) })).status).toBe(401);
  });
});

describe('traefik/migrating.yml', () => {
  const config = parse(read('traefik/migrating.yml'));
  const cleared = Object.keys(config.http.middlewares['authgear-gate-clear-old-names'].headers.customRequestHeaders as Record<string, string>);

  it("matches Traefik's dynamic configuration schema, which rejects typos", () => {
    expect(loadStrictSchema('traefik-dynamic.yaml')(config)).toEqual([]);
  });

  it('deletes every old name the nginx snippets set (an empty value deletes in Traefik)', () => {
    const named = ['authelia-names.conf', 'oauth2-proxy-names.conf'].flatMap((file) => nginxProxySetHeaders(read(`nginx/authgear-gate/${file}`), ''));
    expect(cleared.map((header) => header.toLowerCase()).sort()).toEqual([...new Set(named)].sort());
    expect(Object.values(config.http.middlewares['authgear-gate-clear-old-names'].headers.customRequestHeaders)).toEqual(cleared.map(() => ''));
    expect(named.sort()).toEqual([...AUTHELIA, ...OAUTH2_PROXY].sort());
  });
});

describe("Authgear's own nginx recipe with its cache (test/fixtures/authgear-nginx-recipe.conf)", () => {
  it('answers every request without a session cookie or Authorization with the first such answer: one app_session user for all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authgear-recipe-'));
    const cache = join(dir, 'cache');
    // nginx's workers run as nobody, and the cache is theirs to write.
    mkdirSync(cache, { mode: 0o777 });
    chmodSync(dir, 0o755);
    chmodSync(cache, 0o777);
    const recipe = join(dir, 'authgear-nginx-recipe.conf');
    writeFileSync(recipe, read('test/fixtures/authgear-nginx-recipe.conf').replaceAll('AUTHGEAR_HOST', new URL(authgear.url).host).replace('proxy_cache_path CACHE_DIR', `proxy_cache_path ${cache}`));
    const nginx = await startNginx({ gatePort: gate.port, appPort: app.port, config: recipe });
    try {
      const first = authgear.sessions.issue('app_session');
      const second = authgear.sessions.issue('app_session');
      expect((await seen(`${nginx.url}/a`, { cookie: `app_session=${first.value}` }))['x-authgear-user-id']).toBe(first.user.id);
      expect((await seen(`${nginx.url}/b`, { cookie: `app_session=${second.value}` }))['x-authgear-user-id']).toBe(first.user.id);
      expect((await seen(`${nginx.url}/c`))['x-authgear-user-id']).toBe(first.user.id);
      // The sidecar keys on every Authgear cookie: each user is who they are, and nobody is nobody.
      expect((await seen(`${gateways.nginx!.url}/b`, { cookie: `app_session=${second.value}` }))['remote-user']).toBe(second.user.id);
      expect((await fetch(`${gateways.nginx!.url}/c`)).status).toBe(401);
    } finally {
      await nginx.stop();
    }
  });
});
