import { importVerificationKeys, type Jwk } from './verification-keys.js';

/** A JSON Web Key Set (RFC 7517 5) of public signing keys. */
export interface JsonWebKeySet {
  keys: Jwk[];
}

const PUBLIC_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The public signing keys of a key set as received (from Authgear, or shared through Redis),
 * or undefined when it is no key set or none of its members can verify anything. A symmetric
 * or encryption key, or a private one, never becomes something a token is checked against;
 * nor does a member OpenSSL cannot import (malformed, an RSA key under 2048 bits).
 */
export function signingKeySet(value: unknown): JsonWebKeySet | undefined {
  if (!isObject(value) || !Array.isArray(value['keys']) || !value['keys'].every(isObject)) return undefined;
  const keys = (value['keys'] as Jwk[]).filter(
    (key) => PUBLIC_KEY_TYPES.has(String(key.kty)) && (key.use === undefined || key.use === 'sig') && !('d' in key),
  );
  const jwks = { keys };
  return importVerificationKeys(jwks).size > 0 ? jwks : undefined;
}
