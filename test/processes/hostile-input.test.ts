import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate, type TestGate } from '../support/gate.js';
import { httpGet, startGateProcess, type Spawned } from '../support/processes.js';
import { REASON_HEADER } from '../support/answers.js';

let authgear: AuthgearStandIn;
let gate: TestGate;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear, { CLAIM_HEADERS: 'tenant=x-authgear-tenant' });
});
afterAll(async () => {
  await gate.close();
  await authgear.close();
});

const b64 = (value: string) => Buffer.from(value).toString('base64url');

describe('malformed credentials get a 401 with a reason, never a 5xx', () => {
  it.each([
    ['Bearer', 'credentials_malformed'],
    ['Bearer ', 'credentials_malformed'],
    ['Bearer a b', 'credentials_malformed'],
    ['Bearer <script>', 'credentials_malformed'],
    // Not a JWT, so (auto mode) an opaque token for the resolver, which does not know it.
    ['Bearer abc', 'session_invalid'],
    ['Bearer a.b.c', 'token_malformed'],
    [`Bearer ${b64('{"alg":"RS256"')}.${b64('{}')}.${b64('x')}`, 'token_malformed'],
    [`Bearer ${b64('[]')}.${b64('{}')}.${b64('x')}`, 'token_malformed'],
    [`Bearer ${b64('{"alg":"RS256","typ":"at+jwt","kid":{"$gt":""}}')}.${b64('{"sub":"x"}')}.${b64('sig')}`, 'unknown_key'],
    [`Bearer ${b64('{"alg":"RS256","typ":"at+jwt","crit":["exp"]}')}.${b64('{}')}.${b64('x')}`, 'token_malformed'],
    [`Bearer ${b64('{"alg":"RS256","typ":"at+jwt"}')}.${b64('not json')}.${b64('x')}`, 'bad_signature'],
    [`Bearer ${'a'.repeat(9000)}`, 'token_too_large'],
  ])('%s', async (authorization, code) => {
    const response = await gate.auth({ authorization });
    expect(response.status).toBe(401);
    expect(response.headers.get(REASON_HEADER)).toBe(code);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="authgear-gate"/);
  });

  it('treats another scheme as no bearer at all', async () => {
    const response = await gate.auth({ authorization: 'Basic dXNlcjpwYXNz' });
    expect(response.status).toBe(401);
    expect(response.headers.get(REASON_HEADER)).toBe('credentials_missing');
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="authgear-gate"');
  });
});

describe('claim values cannot inject headers', () => {
  it('percent-encodes CR, LF and non-ASCII in mapped claims', async () => {
    const token = await authgear.accessToken({ claims: { tenant: 'acme\r\nx-authgear-user-id: admin\u00e9' } });
    const response = await gate.auth({ authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-authgear-tenant')).toBe('acme%0D%0Ax-authgear-user-id: admin%C3%A9');
  });
});

describe('a real process under garbage', () => {
  let process: Spawned & { url: string };
  beforeAll(async () => {
    process = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin });
  });
  afterAll(async () => {
    await process.stop();
  });

  it('answers an oversized header block with a 431 from Node, and keeps serving', async () => {
    const huge = await httpGet(`${process.url}/auth`, { authorization: `Bearer ${'a'.repeat(20_000)}`, 'x-filler': 'b'.repeat(20_000) });
    expect(huge.status).toBe(431);
    const token = await authgear.accessToken();
    expect((await httpGet(`${process.url}/auth`, { authorization: `Bearer ${token}`, 'x-original-uri': '/' })).status).toBe(200);
  });

  it('answers bad tokens with 401 and never dies', async () => {
    for (const authorization of ['Bearer ...', 'Bearer \u00ff\u00fe', `Bearer ${'x.'.repeat(2000)}x`]) {
      const answer = await httpGet(`${process.url}/auth`, { authorization });
      expect(answer.status).toBe(401);
    }
    expect(process.process.exitCode).toBeNull();
  });
});
