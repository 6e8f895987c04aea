import type { KeyObject } from 'node:crypto';
import { JWS_ALGORITHMS, type SigningAlgorithm } from '../../../oidc/jws-algorithms.js';
import { GateError } from '../../../errors.js';
import { Denial } from '../../outcome.js';
import { assertRealDates } from '../../identity/token-claims.js';
import { checkClaimsSet } from './claims-set.js';
import { jsonObject, parseCompactJws, payloadOf, type ParsedJws } from './compact-jws.js';

/** The claims of a verified token: a JSON object. */
export type JwtClaims = Record<string, unknown> & { sub: string };

/** The issuer's keys for a kid and alg: at once, or after a reload for a kid not known yet. */
export type KeyLookup = (kid: string | undefined, alg: SigningAlgorithm) => readonly KeyObject[] | Promise<readonly KeyObject[]>;

export interface JwtVerifierOptions {
  /** Keys of the configured issuer only: never one a token names (jku, x5u, an embedded jwk). */
  keysFor: KeyLookup;
  issuer: string;
  algorithms: readonly SigningAlgorithm[];
  clockSkewSeconds: number;
  now: () => number;
}

/** What one kind of token must be, besides signed by the issuer and within its times. */
export interface JwtKind {
  /** `token` or `ID token`: how refusals name it. */
  name: string;
  /** RFC 8725 3.11: the type its issuer gives it (at+jwt, JWT), compared as a media type. */
  typ: string;
  /** Accepted aud values; undefined when a route judges aud instead. */
  audience?: readonly string[];
  requiredClaims: readonly string[];
}

/**
 * The claims of a token whose signature, issuer, type, times and subject were checked; a
 * Denial otherwise. Synchronous while the issuer's keys are at hand (every token but the
 * first of a new key): the signature is OpenSSL's check on this thread, not a job queued
 * for the thread pool.
 */
export type JwtVerifier = (token: string, kind: JwtKind) => JwtClaims | Promise<JwtClaims>;

/**
 * The one JWT check of access and ID tokens. Every property jose's jwtVerify gave stays:
 * compact serialization and exact base64url, a JSON-object header and claims set, `crit`
 * understood or refused, the alg allow-list (asymmetric only), a key of the issuer's set
 * selected by kid and bound to the alg's key type and curve (RSA of 2048 bits or more), typ,
 * iss, aud, exp and nbf with the skew, required claims; and what jose leaves out: dates that
 * are real dates, iat not beyond the skew ahead, a string sub.
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const allowed: ReadonlySet<string> = new Set(options.algorithms);
  // What a forger can ask for with every request shares one Denial each: its challenge and
  // its answer are then built once (createRefusal, createHttpAnswers), not for every request.
  const unknownKey = new Denial('unknown_key', 'token is signed by an unknown key');
  const badSignature = new Denial('bad_signature', 'token signature is not valid');

  function verified(jws: ParsedJws, keys: readonly KeyObject[], kind: JwtKind): JwtClaims {
    if (keys.length === 0) throw unknownKey;
    const algorithm = JWS_ALGORITHMS[jws.alg];
    // A kid shared by two keys (it happens mid-rotation): either one may have signed.
    if (!keys.some((key) => signatureHolds(algorithm.verify, key, jws))) throw badSignature;
    const claims = jsonObject(payloadOf(jws), 'claims set');
    const now = options.now();
    checkClaimsSet(jws.header, claims, { ...kind, issuer: options.issuer, clockSkewSeconds: options.clockSkewSeconds, now, audience: kind.audience });
    assertRealDates(claims, kind.name);
    if (typeof claims['iat'] === 'number' && claims['iat'] > Math.floor(now / 1000) + options.clockSkewSeconds) {
      throw new Denial('token_not_yet_valid', `${kind.name} iat claim is in the future`);
    }
    if (typeof claims['sub'] !== 'string' || claims['sub'] === '') throw new Denial('claims_invalid', `${kind.name} sub claim is not a string`);
    return claims as JwtClaims;
  }

  return function verifyJwt(token, kind) {
    const jws = parseCompactJws(token, allowed);
    let keys: ReturnType<KeyLookup>;
    try {
      keys = options.keysFor(jws.kid, jws.alg);
    } catch (error) {
      throw keysUnavailable(error);
    }
    return keys instanceof Promise ? keys.then((found) => verified(jws, found, kind), (error: unknown) => { throw keysUnavailable(error); }) : verified(jws, keys, kind);
  };
}

/** OpenSSL refuses some malformed signatures by throwing: a bad signature all the same. */
function signatureHolds(verify: (key: KeyObject, input: Uint8Array, signature: Uint8Array) => boolean, key: KeyObject, jws: ParsedJws): boolean {
  try {
    return verify(key, jws.signingInput, jws.signature);
  } catch {
    return false;
  }
}

/** No key set loaded yet: no decision can be made, so none is (503). */
function keysUnavailable(error: unknown): unknown {
  if (error instanceof GateError && error.code === 'keys_not_loaded') return new Denial('keys_unavailable', error.message, { cause: error });
  return error;
}
