import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { MIN_RSA_BITS } from '../oidc/jws-algorithms.js';
import { SETTINGS } from './settings.js';

/**
 * The JWS algorithms an assertion may be signed with: one per key type, each one every JWT
 * library verifies. The algorithm follows the key, so an app pins the one it was told.
 */
export const ASSERTION_ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const;
export type AssertionAlgorithm = (typeof ASSERTION_ALGORITHMS)[number];

/** A key the assertions publish: the one that signs, or the one being replaced. */
export interface PublishedKey {
  alg: AssertionAlgorithm;
  /** The file it was read from, for --check-config and logs (never its content). */
  file: string;
  publicKey: KeyObject;
}

export interface SigningKey extends PublishedKey {
  privateKey: KeyObject;
}

/** ASSERTION_KEY_FILE and ASSERTION_PREVIOUS_KEY_FILE, read and checked. */
export interface AssertionKeys {
  signing: SigningKey;
  previous: PublishedKey | undefined;
}

type ReadFile = (path: string) => string;

// RFC 7518 3.3 requires 2048 bits for RS256. Above 4096 a signature costs tens of ms (on the
// first request of each identity) and every app pays more to verify, for nothing P-256 or
// Ed25519 would not give cheaper.
const RSA_BITS = { min: MIN_RSA_BITS, max: 4096 };
const JOSE_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const WHICH_KEYS = 'use P-256 (ES256), RSA of 2048 to 4096 bits (RS256) or Ed25519 (EdDSA)';
const PRIVATE_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PUBLIC_PEM = /-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/;
const READ_ERRORS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory' };
const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

/** The algorithm a key signs with, or what is wrong with it. */
function algorithmOf(key: KeyObject): AssertionAlgorithm | string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (details.namedCurve === 'prime256v1') return 'ES256';
      return `is an EC key on ${JOSE_CURVES[details.namedCurve ?? ''] ?? details.namedCurve}; only P-256 (ES256) is accepted, the curve every JWT library verifies`;
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < RSA_BITS.min) return `is an RSA key of ${bits} bits; RS256 needs at least ${RSA_BITS.min} bits (RFC 7518)`;
      if (bits > RSA_BITS.max) return `is an RSA key of ${bits} bits; at most ${RSA_BITS.max} bits are accepted (a larger key makes every signature and every app's verification slow; P-256 is as strong as RSA 3072 at a fraction of the cost)`;
      return 'RS256';
    }
    case 'ed25519':
      return 'EdDSA';
    case 'rsa-pss':
      return 'is an RSA-PSS key, which cannot sign RS256: use a plain RSA key (openssl genpkey -algorithm RSA)';
    default:
      return `is a key of type ${key.asymmetricKeyType ?? 'symmetric'}, which cannot sign the assertions: ${WHICH_KEYS}`;
  }
}

/** A JWK's key object, or what is wrong with it. */
function fromJwk(text: string): KeyObject | string {
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'is neither a PEM key nor a JWK (not valid JSON)';
  }
  if (Array.isArray(jwk['keys'])) return 'is a key set (JWKS); give one key of it';
  if (jwk['kty'] === 'oct') return `is a symmetric (oct) key: apps verify the assertions with a public key, so ${WHICH_KEYS}`;
  try {
    return 'd' in jwk ? createPrivateKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    return `is not a usable JWK (${(error as Error).message})`;
  }
}

/** A PEM file's key object (the private key when it holds one), or what is wrong with it. */
function fromPem(text: string): KeyObject | string {
  if (ENCRYPTED_PEM.test(text)) return 'is encrypted with a passphrase; give the key unencrypted (and keep the file in a Secret)';
  try {
    if (PRIVATE_PEM.test(text)) return createPrivateKey(text);
    if (PUBLIC_PEM.test(text)) return createPublicKey(text);
  } catch (error) {
    return `is not a usable PEM key (${(error as Error).message})`;
  }
  return 'holds no PEM private or public key';
}

/** One key file as a checked key: `signs` when it must hold the private key. */
function readKeyFile(env: string, path: string, signs: boolean, readFile: ReadFile): SigningKey | PublishedKey | string {
  let text: string;
  try {
    text = readFile(path).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return `${env}: cannot read ${path} (${READ_ERRORS[code] ?? (error as Error).message})`;
  }
  if (text === '') return `${env}: ${path} is empty`;
  const key = text.startsWith('{') ? fromJwk(text) : text.includes('-----BEGIN ') ? fromPem(text) : 'is neither a PEM key nor a JWK';
  if (typeof key === 'string') return `${env}: ${path} ${key}`;
  if (signs && key.type !== 'private') return `${env}: ${path} is a public key; signing needs the private key (apps get the public one from /.well-known/jwks.json)`;
  const alg = algorithmOf(key);
  if (!(ASSERTION_ALGORITHMS as readonly string[]).includes(alg)) return `${env}: ${path} ${alg}`;
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const published = { alg: alg as AssertionAlgorithm, file: path, publicKey };
  return signs ? { ...published, privateKey: key } : published;
}

const sameKey = (a: KeyObject, b: KeyObject) => a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));

/**
 * Reads the assertion keys the settings name, reporting every problem (the files' and how they
 * fit together) in plain words, none of them quoting a key. Nothing to read: no assertions.
 */
export function readAssertionKeys(files: { keyFile: string | undefined; previousKeyFile: string | undefined }, readFile: ReadFile): { keys: AssertionKeys | undefined; problems: string[] } {
  const signingEnv = SETTINGS.assertionKeyFile.env;
  const previousEnv = SETTINGS.assertionPreviousKeyFile.env;
  if (files.keyFile === undefined) {
    return { keys: undefined, problems: files.previousKeyFile === undefined ? [] : [`${previousEnv}: only with ${signingEnv} (the key that signs)`] };
  }
  const signing = readKeyFile(signingEnv, files.keyFile, true, readFile);
  const previous = files.previousKeyFile === undefined ? undefined : readKeyFile(previousEnv, files.previousKeyFile, false, readFile);
  const problems = [signing, previous].filter((read): read is string => typeof read === 'string');
  if (typeof signing !== 'string' && previous !== undefined && typeof previous !== 'string' && sameKey(signing.publicKey, previous.publicKey)) {
    problems.push(`${previousEnv}: is the key of ${signingEnv} itself; give the key being replaced, or unset it`);
  }
  if (problems.length > 0 || typeof signing === 'string' || typeof previous === 'string') return { keys: undefined, problems };
  return { keys: { signing: signing as SigningKey, previous }, problems };
}
