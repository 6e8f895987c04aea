import { importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { SigningKey } from '../config/assertion-keys.js';

export interface AssertionSignerOptions {
  key: SigningKey;
  /** The key's id in the published key set (its RFC 7638 thumbprint). */
  kid: string;
  /** ASSERTION_ISSUER. */
  issuer: string;
  /** ASSERTION_TTL_SECONDS. */
  ttlSeconds: number;
}

export interface SignedAssertion {
  /** The compact JWS. */
  token: string;
  /** exp, in ms. */
  expiresAt: number;
}

/** Signs the claims of one identity for one audience, issued at `nowMs`. */
export type SignAssertion = (claims: JWTPayload, audience: string, nowMs: number) => Promise<SignedAssertion>;

/**
 * The signer of the assertions: `typ: JWT` and the key's `kid` in the header, iss, aud, iat
 * and exp set here and nowhere else. The private key is imported once, not extractable: no
 * code of the sidecar can read it back.
 */
export async function createAssertionSigner(options: AssertionSignerOptions): Promise<SignAssertion> {
  const { alg } = options.key;
  const privateKey = await importJWK(options.key.privateKey.export({ format: 'jwk' }) as JWK, alg);
  const header = { alg, kid: options.kid, typ: 'JWT' };
  return async function signAssertion(claims, audience, nowMs) {
    const issuedAt = Math.floor(nowMs / 1000);
    const expiresAt = issuedAt + options.ttlSeconds;
    const token = await new SignJWT(claims)
      .setProtectedHeader(header)
      .setIssuer(options.issuer)
      .setAudience(audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(privateKey);
    return { token, expiresAt: expiresAt * 1000 };
  };
}
