import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION, claimsOfHeaders, identityClaims, verifyAsApp, writeAssertionKey, type KeyFile } from '../support/assertions.js';
import { CLAIMS, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { send, type Sent } from '../support/edge-requests.js';
import { startGatewayStack, type GatewayStack } from '../support/gateway-stack.js';
import { writePolicy } from '../support/policies.js';

// Signed assertions through real nginx (nginx/nginx.conf) and real Caddy (caddy/Caddyfile)
// in front of the built sidecar: what the app receives, verified as an app verifies it (jose,
// the sidecar's key set over HTTP), and what a client's own copy of the header comes to.
const APP = 'app.example.test';
const INVENTORY = 'https://api.example.com/inventory';
const POLICY = `
rules:
  - name: assets
    match: { path_prefix: /assets/ }
    access: public
  - name: api
    match: { path_prefix: /api/ }
    allow_cors_preflight: true
`;

let stack: GatewayStack;
let authgear: AuthgearStandIn;
let key: KeyFile;

beforeAll(async () => {
  key = writeAssertionKey();
  stack = await startGatewayStack({ ASSERTION_KEY_FILE: key.path, POLICY_FILE: writePolicy(POLICY) });
  ({ authgear } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

const GATEWAYS = ['nginx', 'caddy'] as const;
type Gateway = (typeof GATEWAYS)[number];
const request = (gateway: Gateway, path: string, headers: Record<string, string> = {}, method?: string) =>
  send(stack.gateways[gateway].url, path, { host: APP, ...headers }, method);
const asApp = (token: string | undefined) => verifyAsApp(token, { gateUrl: stack.gate.url, audience: APP });
const received = (sent: Sent) => sent.app?.headers[ASSERTION];

/** A signed JWT shaped like the sidecar's, by whoever holds `key`, with the sidecar's kid. */
async function signedLike(claims: JWTPayload, signingKey: Parameters<SignJWT['sign']>[0], times: { iat: number; exp: number }): Promise<string> {
  const real = (await request('nginx', '/api/orders', { authorization: `Bearer ${await authgear.accessToken()}` })).app!.headers[ASSERTION]!;
  return new SignJWT({ principal: 'user', ...claims })
    .setProtectedHeader(decodeProtectedHeader(real) as { alg: string })
    .setIssuer('authgear-gate')
    .setAudience(APP)
    .setIssuedAt(times.iat)
    .setExpirationTime(times.exp)
    .sign(signingKey);
}

describe.each(GATEWAYS)('through real %s', (gateway) => {
  it('the app receives an assertion it verifies, saying what the identity headers say', async () => {
    const user = await authgear.accessToken({ claims: { sub: 'user-7', [CLAIMS.roles]: ['admin', 'editor'], amr: ['pwd', 'otp'] } });
    const machine = await authgear.machineToken({ resource: INVENTORY, scopes: ['read:inventory'], clientId: 'stock-sync' });
    const { value: session } = authgear.sessions.issue('session', { roles: ['viewer'], amr: ['pwd'], authenticatedAt: 1_700_000_000 });
    const cases: Array<[string, string, Record<string, string>]> = [
      ['user token', '/api/orders', { authorization: `Bearer ${user}` }],
      ['admin route', '/admin/users', { authorization: `Bearer ${user}` }],
      ['machine client', '/inventory/items', { authorization: `Bearer ${machine}` }],
      ['session cookie', '/dashboard', { cookie: `session=${session}` }],
    ];
    for (const [kind, path, headers] of cases) {
      const sent = await request(gateway, path, headers);
      expect(sent.status, kind).toBe(200);
      const { payload, protectedHeader } = await asApp(received(sent));
      expect(identityClaims(payload), kind).toEqual(claimsOfHeaders(sent.app!.headers));
      expect(protectedHeader, kind).toMatchObject({ alg: 'ES256', typ: 'JWT' });
      expect(payload.aud, kind).toBe(APP);
    }
  });

  it('gives no assertion on a public route or a preflight, whatever the client sent', async () => {
    const forged = { [ASSERTION]: (await request(gateway, '/api/orders', { authorization: `Bearer ${await authgear.accessToken()}` })).app!.headers[ASSERTION]! };
    const answers = [
      await request(gateway, '/healthz', forged),
      await request(gateway, '/assets/app.js', forged),
      await request(gateway, '/api/orders', { ...forged, origin: 'https://spa.example.test', 'access-control-request-method': 'POST' }, 'OPTIONS'),
    ];
    expect(answers.map((sent) => sent.status)).toEqual([200, 200, 200]);
    for (const sent of answers) expect(Object.keys(sent.app!.headers).filter((name) => name.toLowerCase().replace(/[^a-z]/g, '') === 'xauthgeargateassertion')).toEqual([]);
  });

  it('never lets a forged or stale assertion reach the app: the sidecar\'s own replaces it, or none is left', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { privateKey: attackerKey } = await generateKeyPair('ES256');
    const realKey = createPrivateKey(readFileSync(key.path, 'utf8'));
    const victimsOwn = received(await request(gateway, '/api/orders', { authorization: `Bearer ${await authgear.accessToken({ claims: { sub: 'victim' } })}` }))!;
    const copies: Record<string, string> = {
      garbage: 'not-a-jwt',
      'signed by another key under the real kid': await signedLike({ sub: 'victim', roles: ['admin'] }, attackerKey, { iat: now, exp: now + 60 }),
      'unsigned (alg none)': `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'victim', iss: 'authgear-gate', aud: APP, exp: now + 60 })).toString('base64url')}.`,
      // A real one the client saw earlier: another user's, and one long expired.
      "another user's (replayed)": victimsOwn,
      'expired (the real key, an hour ago)': await signedLike({ sub: 'victim' }, realKey, { iat: now - 3660, exp: now - 3600 }),
    };
    const attacker = await authgear.accessToken({ claims: { sub: 'attacker' } });
    for (const [kind, copy] of Object.entries(copies)) {
      for (const name of [ASSERTION, 'X-Authgear-Gate-Assertion', 'X-AUTHGEAR-GATE-ASSERTION']) {
        const allowed = await request(gateway, '/api/orders', { authorization: `Bearer ${attacker}`, [name]: copy });
        expect(received(allowed), `${kind} ${name}`).not.toBe(copy);
        expect((await asApp(received(allowed))).payload.sub, `${kind} ${name}`).toBe('attacker');
        const denied = await request(gateway, '/api/orders', { [name]: copy });
        expect([denied.status, denied.app], `${kind} ${name}`).toEqual([401, undefined]);
        const open = await request(gateway, '/healthz', { [name]: copy });
        expect([open.status, received(open)], `${kind} ${name}`).toEqual([200, undefined]);
      }
      // Another spelling (CGI, WSGI and PHP apps read it as the same header) goes nowhere either.
      const spelled = await request(gateway, '/api/orders', { authorization: `Bearer ${attacker}`, X_Authgear_Gate_Assertion: copy });
      expect(JSON.stringify(spelled.app?.headers ?? {}), kind).not.toContain(copy);
    }
    // And an app that was handed one anyway refuses it, except the replayed one (same host,
    // within its TTL: what an assertion cannot prevent, docs/assertions.md).
    for (const [kind, copy] of Object.entries(copies)) {
      const verdict = await asApp(copy).then(() => 'accepted', (error: { code?: string }) => error.code);
      expect(verdict, kind).toEqual(kind.startsWith("another user's") ? 'accepted' : expect.stringMatching(/^ERR_J/));
    }
    expect(decodeJwt(victimsOwn).sub).toBe('victim');
  });
});
