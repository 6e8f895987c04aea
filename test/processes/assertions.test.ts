import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION, claimsOfHeaders, identityClaims, JWKS, verifyAsApp, writeAssertionKey, writeKeyText } from '../support/assertions.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { envoyCheckRequest, extAuthzClient, headerValues, type ExtAuthzClient } from '../support/ext-authz-grpc-client.js';
import { writePolicy } from '../support/policies.js';
import { freePort, httpGet, REPO, startGateProcess, type Spawned } from '../support/processes.js';

const SERVER = join(REPO, 'dist/server.js');
const ENDPOINT = 'https://myapp.authgear.cloud';

/** The built server started as its image's CMD starts it; it must not get as far as listening. */
async function refusedStart(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const failure = await promisify(execFile)(process.execPath, [SERVER], { env: { PATH: process.env.PATH, AUTHGEAR_ENDPOINT: ENDPOINT, PORT: String(await freePort()), ...env }, timeout: 10_000 })
    .then(() => ({ code: 0, stderr: 'it started' }))
    .catch((error: { code: number; stderr: string }) => error);
  return { code: failure.code, stderr: failure.stderr };
}

describe('a key file that is wrong at start', () => {
  it('stops the built server (exit 2) with every problem in plain words', async () => {
    const publicKey = String(writeAssertionKey().publicKey.export({ type: 'spki', format: 'pem' }));
    const failure = await refusedStart({
      ASSERTION_KEY_FILE: writeKeyText(publicKey),
      ASSERTION_PREVIOUS_KEY_FILE: '/nonexistent/old-key.pem',
      ASSERTION_TTL_SECONDS: '3600',
    });
    expect(failure.code).toBe(2);
    expect(failure.stderr).toMatch(/^authgear-gate: invalid configuration:\n/);
    expect(failure.stderr).toContain('ASSERTION_TTL_SECONDS: must be at most 300 (got "3600")');
    expect(failure.stderr).toMatch(/ASSERTION_KEY_FILE: \S+ is a public key; signing needs the private key/);
    expect(failure.stderr).toContain('ASSERTION_PREVIOUS_KEY_FILE: cannot read /nonexistent/old-key.pem (no such file)');
    expect(failure.stderr).not.toContain(publicKey.split('\n')[1]!);
  });

  it.each([
    ['a P-384 key', () => writeAssertionKey('P-384').path, /is an EC key on P-384; only P-256 \(ES256\) is accepted/],
    ['a 1024-bit RSA key', () => writeAssertionKey('RSA-1024').path, /is an RSA key of 1024 bits; RS256 needs at least 2048 bits/],
    ['a file that is no key', () => writeKeyText('hello'), /is neither a PEM key nor a JWK/],
  ])('refuses %s', async (_kind, path, message) => {
    const failure = await refusedStart({ ASSERTION_KEY_FILE: path() });
    expect(failure.code).toBe(2);
    expect(failure.stderr).toMatch(message);
  });

  it('refuses the previous key when it is the signing key itself', async () => {
    const key = writeAssertionKey('Ed25519', 'jwk');
    const failure = await refusedStart({ ASSERTION_KEY_FILE: key.path, ASSERTION_PREVIOUS_KEY_FILE: key.path });
    expect([failure.code, failure.stderr]).toEqual([2, expect.stringContaining('ASSERTION_PREVIOUS_KEY_FILE: is the key of ASSERTION_KEY_FILE itself')]);
  });
});

describe('the built server with ASSERTION_KEY_FILE', () => {
  let authgear: AuthgearStandIn;
  let gate: Spawned & { url: string };
  let client: ExtAuthzClient;

  beforeAll(async () => {
    authgear = await startAuthgearStandIn();
    const grpcPort = await freePort();
    const policy = writePolicy('rules:\n  - { name: health, match: { path_prefix: /healthz }, access: public }\n');
    gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, ASSERTION_KEY_FILE: writeAssertionKey('RSA').path, EXT_AUTHZ_GRPC_PORT: String(grpcPort), POLICY_FILE: policy, LOG_LEVEL: 'info' });
    client = extAuthzClient(grpcPort);
  });
  afterAll(async () => {
    client?.close();
    await gate?.stop();
    await authgear?.close();
  });

  it('says at start which key signs, and serves its key set', async () => {
    const started = gate.output().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => String(line['msg']).startsWith('signed assertions on'));
    expect(started).toMatchObject({ alg: 'RS256', kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), path: JWKS });
    const answer = await httpGet(`${gate.url}${JWKS}`);
    expect([answer.status, answer.headers['cache-control']]).toEqual([200, 'public, max-age=300']);
    expect((JSON.parse(answer.body) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid)).toEqual([started!['kid']]);
  });

  it('over ext_authz gRPC, sets the assertion on an allow and removes a client copy elsewhere', async () => {
    const token = await authgear.accessToken({ claims: { sub: 'user-9', [CLAIMS.roles]: ['editor'] } });
    const check = (path: string, headers: Record<string, string>) => client.check(envoyCheckRequest({ method: 'GET', host: 'app.example.test:8443', path, scheme: 'https', headers }));
    const allowed = await check('/orders', { authorization: `Bearer ${token}`, [ASSERTION]: 'forged' });
    const set = headerValues(allowed.ok_response!.headers);
    const assertion = set[ASSERTION]![0]!;
    const { payload } = await verifyAsApp(assertion, { gateUrl: gate.url, audience: 'app.example.test', algorithms: ['RS256'] });
    const single = Object.fromEntries(Object.entries(set).map(([name, values]) => [name, values[0]]));
    expect(identityClaims(payload)).toEqual(claimsOfHeaders(single));
    expect(payload.sub).toBe('user-9');
    expect(payload.rule).toBe('default');
    const open = await check('/healthz', { [ASSERTION]: 'forged' });
    expect(open.ok_response!.headers ?? []).toEqual([]);
    expect(open.ok_response!.headers_to_remove).toContain(ASSERTION);
    const refused = await check('/orders', { [ASSERTION]: 'forged' });
    expect(refused.ok_response).toBeUndefined();
  });
});
