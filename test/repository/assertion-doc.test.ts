import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION, claimsOfHeaders, identityClaims, writeAssertionKey } from '../support/assertions.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { codeBlocks, section } from '../support/markdown.js';
import { REPO } from '../support/processes.js';

// docs/assertions.md's example is what an app runs: its block, verbatim, in a Node process of
// its own (jose resolved from this repository, as from the app's), against the sidecar's key
// set over HTTP.
const APP = 'app.example.test';
const example = codeBlocks(section(readFileSync(join(REPO, 'docs/assertions.md'), 'utf8'), 'Verifying it in the app'), 'js');
const RUNNER = `
const [file, headers] = process.argv.slice(1);
const { gateIdentity } = await import(file);
try {
  process.stdout.write(JSON.stringify({ payload: await gateIdentity(JSON.parse(headers)) }));
} catch (error) {
  process.stdout.write(JSON.stringify({ refused: error.code ?? error.message }));
}`;

let authgear: AuthgearStandIn;
let gate: TestGate;
let file: string;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear, { ASSERTION_KEY_FILE: writeAssertionKey().path });
  const dir = join(REPO, '.tmp', `assertion-doc-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  file = join(dir, 'gate-identity.mjs');
  writeFileSync(file, example[0] ?? '');
});
afterAll(async () => {
  await gate?.close();
  await authgear?.close();
});

/** The example, as the app for `host`, given a request's headers. */
async function runExample(headers: Record<string, string>, host = APP): Promise<{ payload?: Record<string, unknown>; refused?: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', RUNNER, pathToFileURL(file).href, JSON.stringify(headers)], {
    env: { PATH: process.env.PATH, AUTHGEAR_GATE_URL: gate.url, APP_HOST: host },
    timeout: 20_000,
  });
  return JSON.parse(stdout) as { payload?: Record<string, unknown>; refused?: string };
}

/** The headers an app behind the gateway receives for this token. */
async function headersForApp(token: string): Promise<Record<string, string>> {
  const response = await gate.auth({ ...bearer(token), 'x-original-host': APP });
  expect(response.status).toBe(200);
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-authgear-')));
}

describe('docs/assertions.md, the app\'s example', () => {
  it('is one short block of jose', () => {
    expect(example).toHaveLength(1);
    expect(example[0]!.trim().split('\n').length).toBeLessThanOrEqual(12);
    expect(example[0]).toContain("from 'jose'");
  });

  it('gives the app the identity the sidecar signed, as the headers say it', async () => {
    const headers = await headersForApp(await authgear.accessToken({ claims: { sub: 'user-42', [CLAIMS.roles]: ['admin'] } }));
    const { payload } = await runExample(headers);
    expect(payload).toMatchObject({ sub: 'user-42', roles: ['admin'], iss: 'authgear-gate', aud: APP });
    expect(identityClaims(payload!)).toEqual(claimsOfHeaders(headers));
  });

  it('refuses a request without one, one made for another app, and a forged one', async () => {
    const headers = await headersForApp(await authgear.accessToken());
    const [head, payload] = headers[ASSERTION]!.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'admin' })).toString('base64url');
    expect(await runExample({})).toEqual({ refused: 'ERR_JWS_INVALID' });
    expect(await runExample(headers, 'other.example.test')).toEqual({ refused: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
    expect(await runExample({ ...headers, [ASSERTION]: `${head}.${forgedPayload}.${headers[ASSERTION]!.split('.')[2]}` })).toEqual({ refused: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
});
