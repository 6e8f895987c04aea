import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { UpstreamError } from '../errors.js';
import type { UpstreamClient } from '../upstream/http-client.js';

const PUBLIC_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

/**
 * Keeps only public signing keys: a symmetric or encryption key in the set must never become
 * something a token can be checked against.
 */
export function signingKeysOnly(jwks: JSONWebKeySet): JSONWebKeySet {
  const keys = jwks.keys.filter(
    (key) => PUBLIC_KEY_TYPES.has(key.kty ?? '') && (key.use === undefined || key.use === 'sig') && !('d' in key),
  );
  return { keys };
}

export async function fetchJwks(client: UpstreamClient, jwksPath: string): Promise<JSONWebKeySet> {
  const response = await client.request('jwks', { path: jwksPath, headers: { accept: 'application/json' } });
  if (response.status !== 200) throw new UpstreamError('jwks', `JWKS answered ${response.status}`);
  let jwks: JSONWebKeySet;
  try {
    jwks = signingKeysOnly(JSON.parse(response.body) as JSONWebKeySet);
    createLocalJWKSet(jwks);
  } catch (error) {
    throw new UpstreamError('jwks', 'JWKS is not a valid key set', { cause: error });
  }
  if (jwks.keys.length === 0) throw new UpstreamError('jwks', 'JWKS has no public signing key');
  return jwks;
}
