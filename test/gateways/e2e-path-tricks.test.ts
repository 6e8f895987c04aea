import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthgearStandIn } from '../support/authgear-stand-in.js';
import { send, type Sent } from '../support/edge-requests.js';
import { writePolicy } from '../support/policies.js';
import { startGatewayStack, type GatewayStack } from '../support/gateway-stack.js';
import { startGateProcess, type Spawned } from '../support/processes.js';

// Spellings of a protected path that some common backend routes to the protected page, sent
// through real nginx and Caddy running the shipped configs, and to the sidecar directly:
// without credentials none may ever get a 200 (or reach the app).
const POLICY = `
rules:
  - name: admin host
    match: { hosts: [admin.example.test] }
    access: deny
  - name: assets
    match: { path_prefix: /assets/ }
    access: public
`;

let stack: GatewayStack;
let authgear: AuthgearStandIn;
let direct: Spawned & { url: string };
const targets: Array<{ name: string; url: string; publicPrefix: string }> = [];

beforeAll(async () => {
  const policy = writePolicy(POLICY);
  stack = await startGatewayStack({ POLICY_FILE: policy });
  ({ authgear } = stack);
  direct = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, POLICY_FILE: policy });
  const browserLogin = await stack.startNginx('browser-login.conf');
  targets.push(
    { name: 'nginx.conf, public location', url: stack.gateways.nginx.url, publicPrefix: '/healthz' },
    { name: 'nginx.conf, public by policy', url: stack.gateways.nginx.url, publicPrefix: '/assets' },
    { name: 'browser-login.conf, public location', url: browserLogin.url, publicPrefix: '/assets' },
    { name: 'Caddyfile, public route', url: stack.gateways.caddy.url, publicPrefix: '/healthz' },
    { name: 'Caddyfile, public by policy', url: stack.gateways.caddy.url, publicPrefix: '/assets' },
    { name: 'the sidecar directly, public by policy', url: direct.url, publicPrefix: '/assets' },
  );
});
afterAll(async () => {
  await direct?.stop();
  await stack?.stop();
});

/** Through a gateway, or as nginx's auth subrequest would ask the sidecar itself. */
function request(target: (typeof targets)[number], path: string, headers: Record<string, string> = {}): Promise<Sent> {
  if (target.url !== direct.url) return send(target.url, path, headers);
  return send(direct.url, '/auth', { 'x-original-uri': path, 'x-original-method': 'GET', 'x-original-host': 'app.example.test', ...headers });
}

function expectNoPass(sent: Sent, context: string) {
  expect(sent.status, context).not.toBe(200);
  expect(sent.status >= 200 && sent.status < 300, context).toBe(false);
  expect(sent.app, context).toBeUndefined();
}

/** The examples and their class, around a public prefix `p` (e.g. /healthz). */
const EXAMPLES = (p: string) => [
  `${p}/..;/admin/x`, `${p}/%2e%2e;/admin/x`, `${p}/..;jsessionid=1/admin/x`, `${p}/..%3b/admin/x`, `${p}/..%3B/admin/x`, `${p}/%2E%2e;x=1/admin/x`,
  `${p};/../admin/x`, `${p}/..\\admin\\x`, `${p}\\..\\admin/x`, `${p}/..%5cadmin/x`, `${p}%5c..%5cadmin/x`, `${p}/%2e%2e/admin/x`, `${p}/.%2e/admin/x`,
  `${p}%2f..%2fadmin/x`, `${p}/%252e%252e/admin/x`, `${p}/%c0%ae%c0%ae/admin/x`, `${p}/%e0%80%ae%e0%80%ae/admin/x`, `${p}/%ef%bc%8e%ef%bc%8e/admin/x`,
  `${p}%00/../admin/x`, `${p}/%00`, `${p}%0a`, `${p}%0d%0aX-Injected:%201`, `${p}%7f`, `${p}#/../admin/x`, `${p}/%2561dmin`,
  `/admin/..${p}`, `/admin/../${p.slice(1)}/x`, `/admin%2f..%2f${p.slice(1)}`, `/admin/%2e%2e${p}`, `/admin/.%2E${p}`, `//${p.slice(1)}/../admin/x`, `/%2e${p}`,
  `${p.toUpperCase()}`, `${p.toUpperCase()}/x`, `/%61dmin/..${p}`,
];

describe('spellings of a protected path, without credentials', () => {
  it('never get a 200: the issue\'s examples and their class', async () => {
    for (const target of targets) {
      for (const path of EXAMPLES(target.publicPrefix)) {
        if (path.toUpperCase() === path && target.publicPrefix === '/assets') continue; // /ASSETS/x is protected anyway
        expectNoPass(await request(target, path), `${target.name}: ${path}`);
      }
    }
  });

  it('the canonical public path still passes, and the canonical protected one is a 401/302', async () => {
    for (const target of targets) {
      expect((await request(target, `${target.publicPrefix}${target.publicPrefix === '/assets' ? '/app.js' : ''}`)).status, target.name).toBe(200);
      expect([401, 302], target.name).toContain((await request(target, '/admin/x')).status);
    }
  });

  const TRICKS = [
    '/..', '/..;', '/..;x=1', '/%2e%2e', '/%2E%2e;', '/.%2e', '/..%3b', '/..%3B', '\\..', '/..\\', '%5c..', '%2f..', '%2F..', '/%252e%252e', '/%c0%ae%c0%ae',
    '/%e0%80%ae%e0%80%ae', '/%ef%bc%8e%ef%bc%8e', '//', '/.', '/%2e', ';', ';jsessionid=1', '%3b', '%00', '%0a', '%09', '#', '%23/..', '%2f', '/%5c', '%c0%af',
  ];
  const SAFE = ['/admin', '/x', '/ADMIN', '/Admin', '/', '/a.b'];

  it('never get a 200, for any mix of pieces routers disagree on (property, every gateway)', async () => {
    const paths = fc.tuple(fc.array(fc.constantFrom(...TRICKS, ...SAFE), { maxLength: 5 }), fc.constantFrom(...TRICKS), fc.nat(5), fc.constantFrom('/admin/x', '/admin', '/x', ''));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets.keys()), paths, async (index, [pieces, trick, at, target]) => {
        const route = targets[index]!;
        const parts = [...pieces];
        parts.splice(at % (parts.length + 1), 0, trick);
        const path = `${route.publicPrefix}${parts.join('')}${target}`;
        expectNoPass(await request(route, path), `${route.name}: ${path}`);
      }),
      { numRuns: 600 },
    );
  });
});

describe('hosts with empty labels and other invalid names', () => {
  const HOSTS = ['admin.example.test..', '.admin.example.test', 'admin..example.test', 'admin.example.test.:', 'admin_.example.test', `${'a'.repeat(64)}.admin.example.test`, 'admin.example.test:0'];

  it('never skip a host rule: refused by the sidecar, or by nginx itself', async () => {
    const token = await authgear.accessToken();
    for (const target of targets) {
      for (const host of HOSTS) {
        // A public location's auth URL says access=public for any host; /orders asks the policy.
        const path = '/orders';
        const headers: Record<string, string> = { [target.url === direct.url ? 'x-original-host' : 'host']: host, authorization: `Bearer ${token}` };
        const sent = await request(target, path, headers);
        expectNoPass(sent, `${target.name}: ${host}`);
        // 400: nginx refused the Host itself; 401: the sidecar did (302 to login with
        // browser-login.conf); 403: nginx made it the admin host ($host drops a trailing dot
        // and an empty port), whose rule then applied.
        expect([400, 401, 302, 403], `${target.name}: ${host}`).toContain(sent.status);
      }
    }
  });

  it('match the rule in any case, with one trailing dot or a port', async () => {
    const token = await authgear.accessToken();
    for (const host of ['admin.example.test', 'ADMIN.Example.Test', 'admin.example.test.', 'admin.example.test:8443']) {
      for (const url of [stack.gateways.caddy.url, stack.gateways.nginx.url]) {
        const sent = await send(url, '/orders', { host, authorization: `Bearer ${token}` });
        expect([sent.status, sent.app], `${url} ${host}`).toEqual([403, undefined]);
      }
    }
  });

  it('are judged by the Host the gateway saw, never by a client\'s X-Forwarded-Host or X-Original-Host', async () => {
    const token = await authgear.accessToken();
    const spoofed = { authorization: `Bearer ${token}`, host: 'admin.example.test', 'x-forwarded-host': 'app.example.test', 'x-original-host': 'app.example.test' };
    for (const url of [stack.gateways.caddy.url, stack.gateways.nginx.url]) expect((await send(url, '/orders', spoofed)).status, url).toBe(403);
    const other = { ...spoofed, host: 'app.example.test', 'x-forwarded-host': 'admin.example.test', 'x-original-host': 'admin.example.test' };
    for (const url of [stack.gateways.caddy.url, stack.gateways.nginx.url]) expect((await send(url, '/orders', other)).status, url).toBe(200);
  });

  it('refuses a forwarded host given twice with different values (Node joins repeated headers)', async () => {
    const token = await authgear.accessToken();
    const sent = await new Promise<number>((done, fail) => {
      const url = new URL(direct.url);
      // Raw headers: two X-Forwarded-Host lines, as a gateway appending to a client's copy sends them.
      import('node:http').then(({ request }) => {
        const call = request({ hostname: url.hostname, port: url.port, path: '/auth', headers: [
          'Host', 'gate.internal', 'X-Forwarded-Uri', '/orders', 'X-Forwarded-Method', 'GET', 'X-Forwarded-Host', 'app.example.test', 'X-Forwarded-Host', 'admin.example.test', 'Authorization', `Bearer ${token}`,
        ] }, (response) => { response.resume(); done(response.statusCode ?? 0); });
        call.on('error', fail);
        call.end();
      }, fail);
    });
    expect(sent).toBe(401);
  });
});
