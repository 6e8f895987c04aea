import { constants, verify, type KeyObject } from 'node:crypto';

/** The JWS algorithms a token may be signed with: asymmetric only, so HS* and none can never be enabled. */
export const SIGNING_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** RFC 7518 3.3 and 3.5: an RSA key under this many bits signs and verifies nothing here. */
export const MIN_RSA_BITS = 2048;

/**
 * What an algorithm needs of its key and how OpenSSL checks it (RFC 7518 3, RFC 8037): the
 * JWK key type (and curve) it may be used with, and the node:crypto verify call. The key type
 * is bound to the algorithm, so a key can never be used under an algorithm of another family
 * (an RSA key as an HMAC secret, an EC key under RS256).
 */
export interface JwsAlgorithm {
  kty: 'RSA' | 'EC' | 'OKP';
  /** The JWK curve an EC or OKP key must have. */
  crv?: string;
  /** OpenSSL's check: true only for a valid signature. */
  verify(key: KeyObject, signingInput: Uint8Array, signature: Uint8Array): boolean;
}

const rsa = (hash: string): JwsAlgorithm => ({ kty: 'RSA', verify: (key, input, signature) => verify(hash, input, key, signature) });

// RFC 7518 3.5: the salt is as long as the hash.
const rsaPss = (hash: string, saltLength: number): JwsAlgorithm => ({
  kty: 'RSA',
  verify: (key, input, signature) => verify(hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature),
});

// RFC 7518 3.4: R and S, each as long as the curve's order, concatenated (not DER): a
// signature of any other length is refused before OpenSSL sees it.
const ecdsa = (crv: string, hash: string, coordinateBytes: number): JwsAlgorithm => ({
  kty: 'EC',
  crv,
  verify: (key, input, signature) => signature.length === 2 * coordinateBytes && verify(hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature),
});

export const JWS_ALGORITHMS: Readonly<Record<SigningAlgorithm, JwsAlgorithm>> = Object.freeze({
  RS256: rsa('sha256'),
  RS384: rsa('sha384'),
  RS512: rsa('sha512'),
  PS256: rsaPss('sha256', 32),
  PS384: rsaPss('sha384', 48),
  PS512: rsaPss('sha512', 64),
  ES256: ecdsa('P-256', 'sha256', 32),
  ES384: ecdsa('P-384', 'sha384', 48),
  ES512: ecdsa('P-521', 'sha512', 66),
  // RFC 8037: EdDSA names the curve in the key; Ed25519 is the one JWS verifiers accept.
  EdDSA: { kty: 'OKP', crv: 'Ed25519', verify: (key, input, signature) => verify(null, input, key, signature) },
});

export const isSigningAlgorithm = (alg: string): alg is SigningAlgorithm => Object.hasOwn(JWS_ALGORITHMS, alg);
