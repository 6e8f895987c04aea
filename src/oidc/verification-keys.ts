import { createPublicKey, type KeyObject, type webcrypto } from 'node:crypto';
import { JWS_ALGORITHMS, MIN_RSA_BITS, type JwsAlgorithm, type SigningAlgorithm } from './jws-algorithms.js';

/** A key set member as JSON (RFC 7517): only what is read here is typed. */
export interface Jwk {
  kty?: unknown;
  crv?: unknown;
  kid?: unknown;
  alg?: unknown;
  use?: unknown;
  key_ops?: unknown;
  ext?: unknown;
  [parameter: string]: unknown;
}

/** The key set of the issuer, each member imported once, looked up by kid and algorithm. */
export interface VerificationKeys {
  /** The keys a token with this kid (undefined: none named) and alg may be verified with; [] when none. */
  keysFor(kid: string | undefined, alg: SigningAlgorithm): readonly KeyObject[];
  /** How many members could be imported: a set with none verifies nothing. */
  readonly size: number;
}

interface Member {
  jwk: Jwk;
  key: KeyObject;
}

const uniqueStrings = (values: unknown[]) => values.every((value, index) => typeof value === 'string' && values.indexOf(value) === index);

/**
 * Whether a member may verify a token of this alg and kid (RFC 7517 4): its type and curve
 * those of the algorithm; its own alg, when it names one, the token's; `use` absent or sig;
 * `key_ops` absent or listing verify; and the kid the token names. jose's JWK set selects
 * keys by the same rules.
 */
function usable({ jwk }: Member, algorithm: JwsAlgorithm, alg: SigningAlgorithm, kid: string | undefined): boolean {
  const keyOps = jwk.key_ops;
  return (
    (jwk.ext === undefined || typeof jwk.ext === 'boolean') &&
    (keyOps === undefined || (Array.isArray(keyOps) && uniqueStrings(keyOps) && keyOps.includes('verify'))) &&
    jwk.kty === algorithm.kty &&
    (algorithm.crv === undefined || jwk.crv === algorithm.crv) &&
    (kid === undefined || jwk.kid === kid) &&
    (jwk.alg === undefined || jwk.alg === alg) &&
    (jwk.use === undefined || jwk.use === 'sig')
  );
}

/** The member as OpenSSL's public key; undefined when it is none (malformed, private, a short RSA key). */
function imported(jwk: Jwk): KeyObject | undefined {
  let key: KeyObject;
  try {
    // OpenSSL parses the members and refuses a malformed one; a member is read, never trusted.
    key = createPublicKey({ key: jwk as webcrypto.JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  if (key.type !== 'public') return undefined;
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (jwk.kty === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) return undefined;
  return key;
}

/**
 * Imports a key set (already filtered to public signing keys) for verification. A member that
 * does not import is left out, as it could verify nothing. Lookups are remembered per kid
 * and algorithm: the set is the same for every token until the next load.
 */
export function importVerificationKeys(jwks: { keys: readonly Jwk[] }): VerificationKeys {
  const members: Member[] = [];
  for (const jwk of jwks.keys) {
    const key = imported(jwk);
    if (key) members.push({ jwk, key });
  }
  const found = new Map<string, readonly KeyObject[]>();
  return {
    size: members.length,
    keysFor(kid, alg) {
      // A kid is the token's to choose: it is only ever compared, and remembered while bounded.
      const lookup = kid === undefined ? alg : `${alg}\u0000${kid}`;
      let keys = found.get(lookup);
      if (keys === undefined) {
        keys = members.filter((member) => usable(member, JWS_ALGORITHMS[alg], alg, kid)).map((member) => member.key);
        if (found.size < 64) found.set(lookup, keys);
      }
      return keys;
    },
  };
}
