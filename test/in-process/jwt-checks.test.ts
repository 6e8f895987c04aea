import { createHmac, createPublicKey } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIMS, generateSigningKey, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { reasonOf } from '../support/answers.js';

let authgear: AuthgearStandIn;
let gate: TestGate;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear, { CLOCK_SKEW_SECONDS: '30' });
});
afterAll(async () => {
  await gate.close();
  await authgear.close();
});
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('a valid Authgear access token', () => {
  it('is allowed with the resolver-shaped identity headers and Content-Length: 0', async () => {
    const token = await authgear.accessToken({
      claims: { sub: 'user-1', amr: ['pwd', 'otp'], auth_time: 1700000000, [CLAIMS.roles]: ['admin', 'editor'] },
    });
    const response = await gate.auth(bearer(token));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('0');
    expect(Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-authgear-')))).toEqual({
      'x-authgear-session-valid': 'true',
      'x-authgear-user-id': 'user-1',
      'x-authgear-user-anonymous': 'false',
      'x-authgear-user-verified': 'true',
      'x-authgear-user-can-reauthenticate': 'true',
      'x-authgear-user-roles': 'admin,editor',
      'x-authgear-session-amr': 'pwd otp',
      'x-authgear-session-authenticated-at': '1700000000',
      'x-authgear-client-id': 'test-client',
      'x-authgear-scope': 'openid offline_access https://authgear.com/scopes/full-access',
    });
  });

  it('has no roles header when the user has no roles, and flags anonymous users', async () => {
    const token = await authgear.accessToken({ claims: { [CLAIMS.anonymous]: true, [CLAIMS.verified]: false }, omit: ['amr'] });
    const response = await gate.auth(bearer(token));
    expect(response.status).toBe(200);
    expect(response.headers.has('x-authgear-user-roles')).toBe(false);
    expect(response.headers.get('x-authgear-user-anonymous')).toBe('true');
    expect(response.headers.get('x-authgear-user-verified')).toBe('false');
    expect(response.headers.get('x-authgear-session-amr')).toBe('');
  });

  it('accepts the bearer scheme in any letter case', async () => {
    const token = await authgear.accessToken();
    expect((await gate.auth({ authorization: `bEaReR ${token}` })).status).toBe(200);
  });
});

describe('time checks, with the configured skew of 30 s', () => {
  it('refuses an expired token', async () => {
    const token = await authgear.accessToken({ now: nowSeconds() - 1000, expiresIn: 300 });
    const response = await gate.auth(bearer(token));
    expect(response.status).toBe(401);
    expect(reasonOf(response)).toBe('token_expired');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="authgear-gate", error="invalid_token", error_description="[^"]+"$/);
  });

  it('accepts a token expired less than the skew ago', async () => {
    const token = await authgear.accessToken({ now: nowSeconds() - 310, expiresIn: 300 });
    expect((await gate.auth(bearer(token))).status).toBe(200);
  });

  it('refuses a token not valid before a time beyond the skew', async () => {
    const token = await authgear.accessToken({ claims: { nbf: nowSeconds() + 120 } });
    expect(reasonOf(await gate.auth(bearer(token)))).toBe('token_not_yet_valid');
  });

  it('accepts nbf within the skew', async () => {
    const token = await authgear.accessToken({ claims: { nbf: nowSeconds() + 10 } });
    expect((await gate.auth(bearer(token))).status).toBe(200);
  });

  it('refuses a token issued in the future beyond the skew (iat), as it would an nbf there', async () => {
    expect(reasonOf(await gate.auth(bearer(await authgear.accessToken({ now: nowSeconds() + 120 }))))).toBe('token_not_yet_valid');
    expect(reasonOf(await gate.auth(bearer(await authgear.accessToken({ claims: { iat: nowSeconds() + 10 ** 9 } }))))).toBe('token_not_yet_valid');
  });

  it('accepts iat within the skew, and a token without iat', async () => {
    expect((await gate.auth(bearer(await authgear.accessToken({ now: nowSeconds() + 10 })))).status).toBe(200);
    expect((await gate.auth(bearer(await authgear.accessToken({ omit: ['iat'] })))).status).toBe(200);
  });

  it('refuses a token without exp', async () => {
    const token = await authgear.accessToken({ omit: ['exp'] });
    expect(reasonOf(await gate.auth(bearer(token)))).toBe('claims_invalid');
  });
});

describe('issuer, audience, subject and type', () => {
  it('refuses another issuer', async () => {
    const token = await authgear.accessToken({ claims: { iss: 'https://evil.example' } });
    expect(reasonOf(await gate.auth(bearer(token)))).toBe('wrong_issuer');
  });

  it('refuses an audience that is not accepted (e.g. an ID token aud = client id)', async () => {
    const token = await authgear.accessToken({ claims: { aud: ['test-client'] } });
    expect(reasonOf(await gate.auth(bearer(token)))).toBe('wrong_audience');
  });

  it('accepts an extra configured audience', async () => {
    const other = await startTestGate(authgear, { ACCEPTED_AUDIENCES: `${authgear.origin},https://api.example.test` });
    const token = await authgear.accessToken({ claims: { aud: ['https://api.example.test'] } });
    expect((await other.auth(bearer(token))).status).toBe(200);
    await other.close();
  });

  it('refuses a JWT that is not an access token (typ)', async () => {
    const token = await authgear.accessToken({ header: { typ: 'JWT' } });
    expect(reasonOf(await gate.auth(bearer(token)))).toBe('token_type_invalid');
  });

  it('refuses a token without a string sub', async () => {
    expect(reasonOf(await gate.auth(bearer(await authgear.accessToken({ omit: ['sub'] }))))).toBe('claims_invalid');
    expect(reasonOf(await gate.auth(bearer(await authgear.accessToken({ claims: { sub: { id: 1 } } }))))).toBe('claims_invalid');
  });
});

describe('signatures and algorithms', () => {
  const encode = (value: object) => base64url.encode(JSON.stringify(value));

  it('refuses alg none', async () => {
    const good = await authgear.accessToken();
    const [, payload] = good.split('.');
    const token = `${encode({ alg: 'none', typ: 'at+jwt' })}.${payload}.`;
    const response = await gate.auth(bearer(token.slice(0, -1) + '.AAAA'));
    expect(response.status).toBe(401);
    expect(reasonOf(response)).toBe('alg_not_allowed');
  });

  it('refuses HS256 signed with the published public key as the secret', async () => {
    const key = authgear.keys[0]!;
    const good = await authgear.accessToken();
    const payload = good.split('.')[1];
    const pem = createPublicKey({ key: key.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    for (const secret of [pem, JSON.stringify(key.publicJwk)]) {
      const signingInput = `${encode({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${payload}`;
      const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
      const response = await gate.auth(bearer(`${signingInput}.${signature}`));
      expect(response.status).toBe(401);
      expect(reasonOf(response)).toBe('alg_not_allowed');
    }
  });

  it('refuses an asymmetric algorithm that is not on the allow-list', async () => {
    const ecKey = await generateSigningKey('ES256');
    authgear.keys.push(ecKey);
    const token = await authgear.accessToken({ alg: 'ES256', key: ecKey });
    expect(reasonOf(await gate.auth(bearer(token)))).toBe('alg_not_allowed');
    authgear.keys.pop();
  });

  it('refuses a token signed by another key under a published kid', async () => {
    const forger = await generateSigningKey();
    const token = await authgear.accessToken({ key: { ...forger, kid: authgear.keys[0]!.kid } });
    expect(reasonOf(await gate.auth(bearer(token)))).toBe('bad_signature');
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [header, , signature] = (await authgear.accessToken()).split('.');
    const payload = encode({ iss: authgear.origin, aud: [authgear.origin], sub: 'admin', exp: nowSeconds() + 600 });
    expect(reasonOf(await gate.auth(bearer(`${header}.${payload}.${signature}`)))).toBe('bad_signature');
  });

  it('never fetches or uses a key named by the token (jku, x5u, embedded jwk)', async () => {
    let attackerHits = 0;
    const attacker = http.createServer((_req, res) => { attackerHits++; res.end('{}'); });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    const forger = await generateSigningKey();
    const token = await new SignJWT({ iss: authgear.origin, aud: [authgear.origin], sub: 'admin', exp: nowSeconds() + 600 })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: forger.kid, jku: `${attackerUrl}/jwks`, x5u: `${attackerUrl}/cert`, jwk: forger.publicJwk })
      .sign(forger.privateKey);
    const response = await gate.auth(bearer(token));
    expect(response.status).toBe(401);
    expect(reasonOf(response)).toBe('unknown_key');
    expect(attackerHits).toBe(0);
    attacker.close();
  });
});
