import { generateKeyPairSync, sign as signWith, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign, createLocalJWKSet, exportJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, type JwtKind } from '../../src/decision/authentication/jwt/verify-jwt.js';
import { Denial } from '../../src/decision/outcome.js';
import type { SigningAlgorithm } from '../../src/oidc/jws-algorithms.js';
import { importVerificationKeys, type Jwk } from '../../src/oidc/verification-keys.js';
import { generateSigningKey, type SigningKey } from '../support/authgear-stand-in.js';

// The gate verifies JWTs with node:crypto on its own thread; jose did it through WebCrypto.
// Every property jose's jwtVerify gave must hold: these tests state them one by one, and a
// property test holds the verifier to jose itself on tokens mutated every which way.
const ISSUER = 'https://project.example.test';
const ACCESS: JwtKind = { name: 'token', typ: 'at+jwt', requiredClaims: ['exp', 'sub'] };
const now = () => Date.UTC(2026, 11, 7);
const nowSeconds = Math.floor(now() / 1000);

let rsa: SigningKey;
let ec: SigningKey;
let ed: SigningKey;
let keys: Jwk[];

beforeAll(async () => {
  [rsa, ec, ed] = [await generateSigningKey('RS256'), await generateSigningKey('ES256'), await generateSigningKey('EdDSA')];
  keys = [rsa, ec, ed].map((key) => key.publicJwk as Jwk);
});

const verifierFor = (algorithms: SigningAlgorithm[], jwks: Jwk[] = keys) => {
  const set = importVerificationKeys({ keys: jwks });
  return createJwtVerifier({ keysFor: (kid, alg) => set.keysFor(kid, alg), issuer: ISSUER, algorithms, clockSkewSeconds: 30, now });
};
const claims = (extra: Record<string, unknown> = {}) => ({ iss: ISSUER, sub: 'user-1', iat: nowSeconds, exp: nowSeconds + 600, ...extra });
const sign = (key: SigningKey, header: Record<string, unknown> = {}, payload: Record<string, unknown> = claims()) =>
  new SignJWT(payload).setProtectedHeader({ alg: String(key.publicJwk.alg), typ: 'at+jwt', kid: key.kid, ...header }).sign(key.privateKey);
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Signs with node:crypto directly, for what jose refuses to sign (a short RSA key). */
function signRaw(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject, options: object = {}): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signWith('sha256', Buffer.from(input), { key, ...options }).toString('base64url')}`;
}

/** The reason a token is refused for, or `accepted`. */
function reasonFor(token: string, algorithms: SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA', 'PS256'], kind: JwtKind = ACCESS): string {
  try {
    verifierFor(algorithms)(token, kind);
    return 'accepted';
  } catch (error) {
    if (error instanceof Denial) return error.code;
    throw error;
  }
}

describe('signatures, algorithms and keys', () => {
  it('accepts RS256, ES256, PS256 and EdDSA tokens of the issuer\'s keys, synchronously', async () => {
    expect(reasonFor(await sign(rsa))).toBe('accepted');
    expect(reasonFor(await sign(ec))).toBe('accepted');
    expect(reasonFor(await sign(ed))).toBe('accepted');
    const pss = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pssJwk = { ...(await exportJWK(pss.publicKey)), kid: 'pss' } as Jwk;
    const pssToken = signRaw({ alg: 'PS256', typ: 'at+jwt', kid: 'pss' }, claims(), pss.privateKey, { padding: 6, saltLength: 32 });
    expect(verifierFor(['PS256'], [pssJwk])(pssToken, ACCESS)).toMatchObject({ sub: 'user-1' });
  });

  it('refuses none, every HMAC and any algorithm off the allow-list', async () => {
    const [, payload, signature] = (await sign(rsa)).split('.');
    for (const alg of ['none', 'HS256', 'HS512', 'RS256 ', 'rs256', 'ES256K', 'XYZ']) {
      expect(reasonFor(`${b64({ alg, typ: 'at+jwt', kid: rsa.kid })}.${payload}.${signature}`), alg).toBe('alg_not_allowed');
    }
    expect(reasonFor(await sign(ec), ['RS256'])).toBe('alg_not_allowed');
    for (const header of [{ typ: 'at+jwt' }, { alg: 1, typ: 'at+jwt' }, { alg: '', typ: 'at+jwt' }]) {
      expect(reasonFor(`${b64(header)}.${payload}.${signature}`), JSON.stringify(header)).toBe('token_malformed');
    }
  });

  it('binds the algorithm to the key type: an RSA key never verifies an ES256 or EdDSA token, nor the reverse', async () => {
    // The same kid on a key of the wrong type: no usable key, whatever the signature.
    expect(reasonFor(await sign(ec, { kid: rsa.kid }))).toBe('unknown_key');
    expect(reasonFor(await sign(rsa, { kid: ec.kid }))).toBe('unknown_key');
    expect(reasonFor(await sign(ed, { kid: rsa.kid }))).toBe('unknown_key');
    // A key that names its alg verifies only that alg.
    const [, payload, signature] = (await sign(rsa)).split('.');
    expect(reasonFor(`${b64({ alg: 'PS256', typ: 'at+jwt', kid: rsa.kid })}.${payload}.${signature}`, ['PS256'])).toBe('unknown_key');
  });

  it('refuses a key set member too weak or unfit to verify: a 1024-bit RSA key, use enc, key_ops without verify', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weakJwk = { ...(await exportJWK(weak.publicKey)), kid: 'weak', alg: 'RS256' } as Jwk;
    const token = signRaw({ alg: 'RS256', typ: 'at+jwt', kid: 'weak' }, claims(), weak.privateKey);
    const verify = (jwk: Jwk) => () => verifierFor(['RS256'], [jwk])(token, ACCESS);
    expect(verify(weakJwk)).toThrow(expect.objectContaining({ code: 'unknown_key' }));
    const usable = { ...(rsa.publicJwk as Jwk) };
    const good = await sign(rsa);
    for (const unfit of [{ ...usable, use: 'enc' }, { ...usable, key_ops: ['encrypt'] }, { ...usable, alg: 'RS512' }, { ...usable, ext: 'yes' }]) {
      expect(() => verifierFor(['RS256'], [unfit as Jwk])(good, ACCESS), JSON.stringify(unfit).slice(0, 60)).toThrow(expect.objectContaining({ code: 'unknown_key' }));
    }
  });

  it('refuses a wrong signature, a truncated one and an ECDSA signature in DER or of the wrong length', async () => {
    const forger = await generateSigningKey('RS256');
    expect(reasonFor(await sign({ ...forger, kid: rsa.kid }))).toBe('bad_signature');
    const [header, payload, signature] = (await sign(ec)).split('.') as [string, string, string];
    expect(reasonFor(`${header}.${payload}.${signature.slice(0, 40)}`)).toBe('bad_signature');
    expect(reasonFor(`${header}.${payload}.${b64(Buffer.alloc(72, 1))}`)).toBe('bad_signature');
    expect(reasonFor(`${header}.${b64(claims({ sub: 'admin' }))}.${signature}`)).toBe('bad_signature');
  });

  it('tries each key of a kid two keys share, and never a key the token names itself', async () => {
    const twin = await generateSigningKey('RS256');
    const shared = verifierFor(['RS256'], [rsa.publicJwk as Jwk, { ...(twin.publicJwk as Jwk), kid: rsa.kid }]);
    expect(shared(await sign({ ...twin, kid: rsa.kid }), ACCESS)).toMatchObject({ sub: 'user-1' });
    const attacker = await generateSigningKey('RS256');
    const embedded = await sign(attacker, { jwk: attacker.publicJwk, jku: 'https://evil.test/jwks', x5u: 'https://evil.test/x5' });
    expect(reasonFor(embedded)).toBe('unknown_key');
    expect(reasonFor(await sign(rsa, { kid: 42 }))).toBe('unknown_key');
  });
});

describe('the compact serialization and the header', () => {
  it('refuses anything but three exact base64url parts', async () => {
    const [header, payload, signature] = (await sign(rsa)).split('.') as [string, string, string];
    const withPadding = (part: string) => part + '='.repeat((4 - (part.length % 4)) % 4 || 4);
    const sameBitsOtherSpelling = (part: string) => part.slice(0, -1) + String.fromCharCode(part.charCodeAt(part.length - 1) + 1);
    for (const token of [
      `${header}.${payload}`, `${header}.${payload}.${signature}.x`, `${withPadding(header)}.${payload}.${signature}`,
      `${header}.${payload.replace(/-/g, '+')}+.${signature}`, `${header}. ${payload}.${signature}`, `${header}.${payload}.${signature}==`,
      `${header}.${payload}.${sameBitsOtherSpelling(signature)}`, `${header}.${payload}a.${signature}`, `.${payload}.${signature}`,
    ]) {
      expect(['token_malformed', 'bad_signature'], token.slice(-20)).toContain(reasonFor(token));
      expect(reasonFor(token), token.slice(-20)).not.toBe('accepted');
    }
  });

  it('refuses a header or claims set that is not a JSON object, or not UTF-8', async () => {
    const [, payload, signature] = (await sign(rsa)).split('.');
    for (const header of ['[]', 'null', '"x"', '{', Buffer.from([0xff, 0xfe])]) {
      expect(reasonFor(`${Buffer.from(header).toString('base64url')}.${payload}.${signature}`), String(header)).toBe('token_malformed');
    }
    for (const body of ['[1]', 'null', '42']) {
      const token = await new CompactSign(Buffer.from(body)).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: rsa.kid }).sign(rsa.privateKey);
      expect(reasonFor(token), body).toBe('token_malformed');
    }
  });

  it('refuses critical extensions it does not understand, and an unencoded payload', async () => {
    // Signed by hand: jose itself refuses to sign most of these.
    const signed = async (extra: Record<string, unknown>) => {
      const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: rsa.kid, ...extra })}.${b64(claims())}`;
      const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', rsa.privateKey, Buffer.from(input));
      return `${input}.${Buffer.from(signature).toString('base64url')}`;
    };
    for (const header of [{ crit: ['exp'], exp: 1 }, { crit: [] }, { crit: 'b64' }, { crit: ['b64'] }, { crit: ['b64', 'b64'], b64: true }, { crit: ['b64'], b64: false }, { crit: ['b64'], b64: 'true' }, { crit: [''] }]) {
      expect(reasonFor(await signed(header)), JSON.stringify(header)).toBe('token_malformed');
    }
    expect(reasonFor(await signed({ crit: ['b64'], b64: true }))).toBe('accepted');
    expect(reasonFor(await signed({}))).toBe('accepted');
    // RFC 7797 3: b64 means something only when crit names it; jose ignores it otherwise too.
    expect(reasonFor(await signed({ b64: false }))).toBe('accepted');
  });
});

describe('the claims', () => {
  it('checks typ as a media type, iss, exp and nbf with the skew, and the required claims, with jose\'s reasons', async () => {
    const expect_ = async (header: Record<string, unknown>, payload: Record<string, unknown>, reason: string) =>
      expect(reasonFor(await sign(rsa, header, payload)), JSON.stringify({ header, payload })).toBe(reason);
    await expect_({ typ: 'application/AT+JWT' }, claims(), 'accepted');
    await expect_({ typ: 'JWT' }, claims(), 'token_type_invalid');
    await expect_({ typ: undefined }, claims(), 'token_type_invalid');
    await expect_({}, claims({ iss: 'https://other.test' }), 'wrong_issuer');
    await expect_({}, { ...claims(), iss: undefined }, 'wrong_issuer');
    await expect_({}, { ...claims(), exp: undefined }, 'claims_invalid');
    await expect_({}, claims({ exp: nowSeconds - 31 }), 'token_expired');
    await expect_({}, claims({ exp: nowSeconds - 29 }), 'accepted');
    await expect_({}, claims({ exp: '9999999999' }), 'claims_invalid');
    await expect_({}, claims({ nbf: nowSeconds + 31 }), 'token_not_yet_valid');
    await expect_({}, claims({ nbf: 'soon' }), 'token_not_yet_valid');
    await expect_({}, claims({ iat: 'now' }), 'claims_invalid');
    await expect_({}, claims({ iat: nowSeconds + 31 }), 'token_not_yet_valid');
    await expect_({}, claims({ sub: 7 }), 'claims_invalid');
  });

  it('checks an ID token\'s audience among the client ids', async () => {
    const kind: JwtKind = { name: 'ID token', typ: 'JWT', audience: ['web', 'mobile'], requiredClaims: ['exp', 'iat', 'sub', 'auth_time'] };
    const id = (aud: unknown) => sign(rsa, { typ: 'JWT' }, claims({ aud, auth_time: nowSeconds }));
    expect(reasonFor(await id(['mobile']), undefined, kind)).toBe('accepted');
    expect(reasonFor(await id('web'), undefined, kind)).toBe('accepted');
    expect(reasonFor(await id(['other']), undefined, kind)).toBe('wrong_audience');
    expect(reasonFor(await sign(rsa, { typ: 'JWT' }, claims({ auth_time: nowSeconds })), undefined, kind)).toBe('wrong_audience');
  });
});

describe('against jose itself', () => {
  it('never accepts a token jose refuses, and accepts every well-formed one jose accepts', async () => {
    const jwks = createLocalJWKSet({ keys: keys as JWK[] });
    const joseAccepts = async (token: string) =>
      jwtVerify(token, jwks, { algorithms: ['RS256', 'ES256', 'EdDSA'], issuer: ISSUER, typ: 'at+jwt', clockTolerance: 30, requiredClaims: ['exp', 'sub'], currentDate: new Date(now()) }).then(
        (verified) => typeof verified.payload.sub === 'string' && verified.payload.sub !== '',
        () => false,
      );
    const tokens = await Promise.all([sign(rsa), sign(ec), sign(ed)]);
    const headerPatch = fc.record({
      alg: fc.constantFrom(undefined, 'RS256', 'ES256', 'EdDSA', 'HS256', 'none', 'PS256'),
      typ: fc.constantFrom(undefined, 'at+jwt', 'JWT', 'application/at+jwt', 7),
      kid: fc.constantFrom(undefined, rsa.kid, ec.kid, ed.kid, 'other', 3),
      crit: fc.constantFrom(undefined, ['b64'], ['exp'], []),
      b64: fc.constantFrom(undefined, true, false),
    }, { requiredKeys: [] });
    const claimsPatch = fc.record({
      iss: fc.constantFrom(undefined, ISSUER, 'https://other.test', 1),
      sub: fc.constantFrom(undefined, 'user-1', '', 5),
      exp: fc.constantFrom(undefined, nowSeconds + 600, nowSeconds - 600, '1', 1e308),
      nbf: fc.constantFrom(undefined, nowSeconds - 5, nowSeconds + 600, 'x'),
      iat: fc.constantFrom(undefined, nowSeconds, 'x'),
    }, { requiredKeys: [] });
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('header' as const), token: fc.nat(2), patch: headerPatch }),
      fc.record({ kind: fc.constant('claims' as const), token: fc.nat(2), patch: claimsPatch }),
      fc.record({ kind: fc.constant('byte' as const), token: fc.nat(2), at: fc.nat(2000), char: fc.constantFrom('A', '-', '_', '.', '=', '+', ' ') }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (change) => {
        const original = tokens[change.token]!;
        const [header, payload, signature] = original.split('.') as [string, string, string];
        let token = original;
        if (change.kind === 'header') token = `${b64({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), ...change.patch })}.${payload}.${signature}`;
        if (change.kind === 'claims') token = `${header}.${b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), ...change.patch })}.${signature}`;
        if (change.kind === 'byte') {
          const at = change.at % original.length;
          token = original.slice(0, at) + change.char + original.slice(at + 1);
        }
        const ours = reasonFor(token) === 'accepted';
        if (ours) expect(await joseAccepts(token), token).toBe(true);
        if (token === original) expect(ours).toBe(true);
      }),
      { numRuns: 400 },
    );
    for (const token of tokens) expect([reasonFor(token), await joseAccepts(token)]).toEqual(['accepted', true]);
  });
});
