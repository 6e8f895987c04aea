import { errors } from 'jose';
import { GateError } from '../../../errors.js';
import { Denial } from '../../outcome.js';

const CLAIM_CODES: Record<string, Denial['code']> = {
  nbf: 'token_not_yet_valid',
  iss: 'wrong_issuer',
  aud: 'wrong_audience',
  typ: 'token_type_invalid',
};

/** Translates what jose threw into our stable reason codes; unknown failures stay refusals. */
export function denialFromJose(error: unknown): Denial {
  if (error instanceof Denial) return error;
  if (error instanceof errors.JWTExpired) return new Denial('token_expired', 'token has expired', { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    const code = CLAIM_CODES[error.claim] ?? 'claims_invalid';
    return new Denial(code, `token ${error.claim} claim is not acceptable`, { cause: error });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new Denial('bad_signature', 'token signature is not valid', { cause: error });
  if (error instanceof errors.JOSEAlgNotAllowed) return new Denial('alg_not_allowed', 'token algorithm is not allowed', { cause: error });
  if (error instanceof errors.JWKSNoMatchingKey) return new Denial('unknown_key', 'token is signed by an unknown key', { cause: error });
  if (error instanceof errors.JOSEError) return new Denial('token_malformed', 'token is not a valid JWT', { cause: error });
  // The key store could not say: no decision can be made, so none is (503).
  if (error instanceof GateError && error.code === 'keys_not_loaded') return new Denial('keys_unavailable', error.message, { cause: error });
  if (error instanceof GateError) throw error;
  // jose can surface a TypeError from a hostile key/alg combination; it is still a bad token.
  return new Denial('token_malformed', 'token could not be verified', { cause: error });
}
