import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { AssertionKeys, PublishedKey } from '../config/assertion-keys.js';

/** Where apps fetch the public keys of the assertions, on PORT beside /healthz. */
export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * How long an app's key cache may keep the set (Cache-Control max-age): a rotation publishes
 * the new key at least this long before it signs (docs/assertions.md, Rotating the key).
 */
export const JWKS_MAX_AGE_SECONDS = 300;

/** The public JWK of a key as published: its RFC 7638 thumbprint as kid, its alg, use sig. */
async function publicJwk(key: PublishedKey): Promise<JWK & { kid: string }> {
  const jwk = await exportJWK(key.publicKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: key.alg, use: 'sig' };
}

export interface PublishedKeySet {
  /** The kid of the signing key. */
  signingKid: string;
  /** The kid of ASSERTION_PREVIOUS_KEY_FILE's key, if any. */
  previousKid: string | undefined;
  /** GET /.well-known/jwks.json: the signing key first, then the previous one. */
  route: () => Response;
}

/** The JWKS document of the assertion keys, built once: every request gets the same bytes. */
export async function publishKeys(keys: AssertionKeys): Promise<PublishedKeySet> {
  const signing = await publicJwk(keys.signing);
  const previous = keys.previous ? await publicJwk(keys.previous) : undefined;
  const body = JSON.stringify({ keys: previous ? [signing, previous] : [signing] });
  const headers = { 'content-type': 'application/json', 'cache-control': `public, max-age=${JWKS_MAX_AGE_SECONDS}` };
  return {
    signingKid: signing.kid,
    previousKid: previous?.kid,
    route: () => new Response(body, { status: 200, headers }),
  };
}
