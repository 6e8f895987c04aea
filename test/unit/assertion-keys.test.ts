import { generateKeyPairSync, generateKeySync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const ENDPOINT = { AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud' };
const pem = (key: { export(options: { type: 'pkcs8' | 'spki'; format: 'pem' }): string | Buffer }, type: 'pkcs8' | 'spki' = 'pkcs8') => String(key.export({ type, format: 'pem' }));
const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
const P256 = ec('P-256');
const OTHER_P256 = ec('P-256');

/** The files the configuration reads: none exist but these. */
function load(env: Record<string, string>, files: Record<string, string>) {
  return loadConfig({ ...ENDPOINT, ...env }, {
    readFile: (path) => {
      if (path in files) return files[path]!;
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    },
  });
}

function problemsOf(env: Record<string, string>, files: Record<string, string> = {}): string[] {
  try {
    load(env, files);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('ASSERTION_KEY_FILE', () => {
  it('is off unless set', () => {
    expect(load({}, {}).assertionKeys).toBeUndefined();
  });

  it.each([
    ['P-256 (PKCS #8 PEM)', pem(P256.privateKey), 'ES256'],
    ['P-256 (SEC 1 PEM, as openssl ecparam writes it)', String(P256.privateKey.export({ type: 'sec1', format: 'pem' })), 'ES256'],
    ['P-256 (JWK)', JSON.stringify(P256.privateKey.export({ format: 'jwk' })), 'ES256'],
    ['RSA 2048 (PKCS #1 PEM)', String(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' })), 'RS256'],
    ['Ed25519 (PEM)', pem(generateKeyPairSync('ed25519').privateKey), 'EdDSA'],
  ])('takes a %s private key: the algorithm follows the key', (_kind, text, alg) => {
    const { assertionKeys } = load({ ASSERTION_KEY_FILE: '/keys/signing' }, { '/keys/signing': text });
    expect(assertionKeys?.signing.alg).toBe(alg);
    expect(assertionKeys?.signing.privateKey.type).toBe('private');
    expect(assertionKeys?.signing.publicKey.type).toBe('public');
  });

  it.each([
    ['a public key (PEM)', pem(P256.publicKey, 'spki'), /is a public key; signing needs the private key/],
    ['a public key (JWK)', JSON.stringify(P256.publicKey.export({ format: 'jwk' })), /is a public key; signing needs the private key/],
    ['a P-384 key', pem(ec('P-384').privateKey), /is an EC key on P-384; only P-256 \(ES256\) is accepted/],
    ['a secp256k1 key', pem(ec('secp256k1').privateKey), /is an EC key on secp256k1; only P-256/],
    ['a 1024-bit RSA key', pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey), /is an RSA key of 1024 bits; RS256 needs at least 2048 bits/],
    ['an RSA-PSS key', pem(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey), /is an RSA-PSS key, which cannot sign RS256/],
    ['an Ed448 key', pem(generateKeyPairSync('ed448').privateKey), /is a key of type ed448, which cannot sign the assertions: use P-256 \(ES256\)/],
    ['an X25519 key', pem(generateKeyPairSync('x25519').privateKey), /is a key of type x25519, which cannot sign/],
    ['a symmetric JWK', JSON.stringify(generateKeySync('hmac', { length: 256 }).export({ format: 'jwk' })), /is a symmetric \(oct\) key/],
    ['a key set', JSON.stringify({ keys: [P256.privateKey.export({ format: 'jwk' })] }), /is a key set \(JWKS\); give one key of it/],
    ['an encrypted key', String(P256.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })), /is encrypted with a passphrase/],
    ['an empty file', '\n', /is empty/],
    ['something else', 'not a key', /is neither a PEM key nor a JWK/],
    ['broken JSON', '{"kty": "EC",', /is neither a PEM key nor a JWK \(not valid JSON\)/],
    ['a broken PEM', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /is not a usable PEM key/],
  ])('refuses %s, saying why in plain words', (_kind, text, message) => {
    const problems = problemsOf({ ASSERTION_KEY_FILE: '/keys/signing' }, { '/keys/signing': text });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ASSERTION_KEY_FILE: \/keys\/signing /);
    expect(problems[0]).toMatch(message);
  });

  it('never quotes a key in a problem', () => {
    const text = pem(ec('P-384').privateKey);
    const [problem] = problemsOf({ ASSERTION_KEY_FILE: '/k' }, { '/k': text });
    expect(problem).not.toContain(text.split('\n')[1]!.slice(0, 20));
  });

  it('says a file that cannot be read cannot be read', () => {
    expect(problemsOf({ ASSERTION_KEY_FILE: '/run/secrets/missing.pem' })).toEqual(['ASSERTION_KEY_FILE: cannot read /run/secrets/missing.pem (no such file)']);
  });
});

describe('ASSERTION_PREVIOUS_KEY_FILE', () => {
  it('publishes a private or a public key beside the signing one, never to sign', () => {
    const files = { '/signing': pem(P256.privateKey), '/previous': pem(OTHER_P256.publicKey, 'spki') };
    const { assertionKeys } = load({ ASSERTION_KEY_FILE: '/signing', ASSERTION_PREVIOUS_KEY_FILE: '/previous' }, files);
    expect(assertionKeys?.previous).toMatchObject({ alg: 'ES256', file: '/previous' });
    expect(assertionKeys?.previous).not.toHaveProperty('privateKey');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const mixed = load({ ASSERTION_KEY_FILE: '/signing', ASSERTION_PREVIOUS_KEY_FILE: '/previous' }, { ...files, '/previous': pem(rsa.privateKey) });
    expect(mixed.assertionKeys?.previous?.alg).toBe('RS256');
    expect(mixed.assertionKeys?.previous?.publicKey.type).toBe('public');
  });

  it('holds to the same bounds: an RSA key over 4096 bits is refused', () => {
    // A public modulus of 8192 bits (its factors need not exist for a published key).
    const modulus = Buffer.alloc(1024, 0xa5);
    modulus[0] = 0xc1;
    const large = JSON.stringify({ kty: 'RSA', n: modulus.toString('base64url'), e: 'AQAB' });
    expect(problemsOf({ ASSERTION_KEY_FILE: '/signing', ASSERTION_PREVIOUS_KEY_FILE: '/previous' }, { '/signing': pem(P256.privateKey), '/previous': large })).toEqual([
      expect.stringMatching(/^ASSERTION_PREVIOUS_KEY_FILE: \/previous is an RSA key of 8192 bits; at most 4096 bits are accepted/),
    ]);
  });

  it('refuses the signing key itself, in any form, and a previous key alone', () => {
    const signing = pem(P256.privateKey);
    for (const previous of [signing, pem(P256.publicKey, 'spki'), JSON.stringify(P256.publicKey.export({ format: 'jwk' }))]) {
      expect(problemsOf({ ASSERTION_KEY_FILE: '/signing', ASSERTION_PREVIOUS_KEY_FILE: '/previous' }, { '/signing': signing, '/previous': previous })).toEqual([
        'ASSERTION_PREVIOUS_KEY_FILE: is the key of ASSERTION_KEY_FILE itself; give the key being replaced, or unset it',
      ]);
    }
    expect(problemsOf({ ASSERTION_PREVIOUS_KEY_FILE: '/previous' }, { '/previous': signing })).toEqual(['ASSERTION_PREVIOUS_KEY_FILE: only with ASSERTION_KEY_FILE (the key that signs)']);
  });
});

describe('every assertion problem at once, with the others', () => {
  it('lists the files, the TTL and the other settings together', () => {
    const problems = problemsOf(
      { PORT: 'abc', ASSERTION_KEY_FILE: '/signing', ASSERTION_PREVIOUS_KEY_FILE: '/gone', ASSERTION_TTL_SECONDS: '301', ASSERTION_ISSUER: 'with space' },
      { '/signing': pem(P256.publicKey, 'spki') },
    );
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['ASSERTION_ISSUER', 'ASSERTION_KEY_FILE', 'ASSERTION_PREVIOUS_KEY_FILE', 'ASSERTION_TTL_SECONDS', 'PORT']);
    expect(problems).toContain('ASSERTION_TTL_SECONDS: must be at most 300 (got "301")');
    expect(problemsOf({ ASSERTION_KEY_FILE: '/signing', ASSERTION_TTL_SECONDS: '0' }, { '/signing': pem(P256.privateKey) })).toEqual(['ASSERTION_TTL_SECONDS: must be at least 1 (got "0")']);
  });

  it('has the defaults of the issue: authgear-gate, 60 s, the request\'s host', () => {
    const config = load({ ASSERTION_KEY_FILE: '/signing' }, { '/signing': pem(P256.privateKey) });
    expect([config.assertionIssuer, config.assertionTtlSeconds, config.assertionAudience]).toEqual(['authgear-gate', 60, undefined]);
  });
});
