import { Denial } from '../../outcome.js';
import { isSigningAlgorithm, type SigningAlgorithm } from '../../../oidc/jws-algorithms.js';

/** A compact JWS whose structure and protected header were checked; its signature not yet. */
export interface ParsedJws {
  header: Record<string, unknown>;
  alg: SigningAlgorithm;
  /** The kid the header names, if any: only ever compared with our own keys' kids. */
  kid: string | undefined;
  /** The signed bytes: ASCII of `header.payload` as sent. */
  signingInput: Buffer;
  signature: Buffer;
  /** The payload's base64url, already checked exact; decoded only once the signature is good (payloadOf). */
  encodedPayload: string;
}

const malformed = (why: string) => new Denial('token_malformed', `token is not a valid JWT: ${why}`);

// RFC 7515 2 and RFC 4648 5: the URL-safe alphabet, no padding, nothing else (no whitespace,
// no `+/`): one spelling per value, so two different strings are never the same token.
const BASE64URL = /^[A-Za-z0-9_-]*$/;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether a value is base64url in its one spelling: the alphabet, a length that can occur,
 * and unused bits of the last character zero (`AB` and `AC` would decode alike), which
 * Node's decoder ignores.
 */
function isExactBase64url(value: string): boolean {
  const tail = value.length % 4;
  if (tail === 1 || !BASE64URL.test(value)) return false;
  if (tail === 0) return true;
  const last = ALPHABET.indexOf(value[value.length - 1]!);
  return (last & (tail === 2 ? 0b1111 : 0b11)) === 0;
}

/** Decodes exact base64url (see isExactBase64url); anything else is a malformed token. */
function decodeBase64url(value: string, what: string): Buffer {
  if (!isExactBase64url(value)) throw malformed(`its ${what} is not base64url`);
  return Buffer.from(value, 'base64url');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A JSON object from UTF-8 bytes (no array, no null, no class instance): anything else is refused. */
export function jsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    throw malformed(`its ${what} is not UTF-8 JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed(`its ${what} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

// RFC 7797: the one extension a verifier may recognize; a JWT must not use it (RFC 7797 7).
const RECOGNIZED_CRITICAL = new Set(['b64']);

/**
 * RFC 7515 4.1.11: `crit` lists extensions the verifier must understand, or refuse the token.
 * The only one recognized is `b64`, and a JWT's payload must be base64url-encoded, so b64
 * may only be true.
 */
function checkCritical(header: Record<string, unknown>): void {
  const { crit } = header;
  if (crit === undefined) return;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name === '') || new Set(crit).size !== crit.length) {
    throw malformed('its "crit" header is not a list of distinct names');
  }
  for (const name of crit as string[]) {
    if (!RECOGNIZED_CRITICAL.has(name)) throw malformed(`it needs the extension "${name}", which is not supported`);
    if (header[name] === undefined) throw malformed(`its critical "${name}" header is missing`);
  }
  if (header['b64'] !== undefined && typeof header['b64'] !== 'boolean') throw malformed('its "b64" header is not a boolean');
  if (crit.includes('b64') && header['b64'] === false) throw malformed('a JWT must not use an unencoded payload');
}

/**
 * Reads a compact JWS (RFC 7515 7.1) as jose does before verifying it: three base64url parts,
 * a protected header that is a JSON object with a string `alg` on the allow-list (so `none`
 * and every HMAC can never pass), and critical extensions understood or refused. The header's
 * jku, x5u, jwk and x5c are never read: keys come from the issuer's set alone.
 */
export function parseCompactJws(token: string, allowed: ReadonlySet<string>): ParsedJws {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first === -1 || second === -1 || token.indexOf('.', second + 1) !== -1) throw malformed('it does not have three parts');
  const encodedHeader = token.slice(0, first);
  const header = jsonObject(decodeBase64url(encodedHeader, 'header'), 'header');
  checkCritical(header);
  const { alg, kid } = header;
  if (typeof alg !== 'string' || alg === '') throw malformed('its "alg" header is missing');
  if (!allowed.has(alg) || !isSigningAlgorithm(alg)) throw new Denial('alg_not_allowed', 'token algorithm is not allowed');
  const encodedPayload = token.slice(first + 1, second);
  if (!isExactBase64url(encodedPayload)) throw malformed('its payload is not base64url');
  return {
    header,
    alg,
    // A kid that is no string names none of our keys.
    kid: typeof kid === 'string' ? kid : kid === undefined ? undefined : '\u0000not a string',
    signingInput: Buffer.from(token.slice(0, second), 'latin1'),
    signature: decodeBase64url(token.slice(second + 1), 'signature'),
    encodedPayload,
  };
}

/** The payload's bytes, for a JWS whose signature held: parseCompactJws checked its spelling. */
export function payloadOf(jws: ParsedJws): Buffer {
  return Buffer.from(jws.encodedPayload, 'base64url');
}

/**
 * The claims set of a token this process verified before (a cache hit found it by its
 * SHA-256): decoded again without a second signature check, never for a token not verified.
 */
export function verifiedPayload(token: string): Record<string, unknown> {
  const first = token.indexOf('.');
  return jsonObject(decodeBase64url(token.slice(first + 1, token.indexOf('.', first + 1)), 'payload'), 'claims set');
}
