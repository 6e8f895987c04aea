import { Denial } from '../outcome.js';

/** What the client presented, read once and bounded; nothing here is trusted yet. */
export interface Credentials {
  /**
   * The bearer token of `Authorization: Bearer`, if any, within the size limit. Its syntax is
   * checked by assertBearerSyntax after the token cache is asked: a token found there was
   * verified, so a known token (the hot path) is not scanned twice.
   */
  bearer: string | undefined;
  /** Authgear cookies (name as sent, with prefix), in the resolver's order of preference. */
  cookies: Array<{ name: string; value: string }>;
}

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
export const AUTHGEAR_COOKIES = ['app_session', 'app_access_token', 'session'] as const;

export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

export interface CredentialOptions {
  maxTokenBytes: number;
  cookiePrefix: string;
}

export function readBearer(authorization: string | undefined, maxTokenBytes: number): string | undefined {
  if (authorization === undefined) return undefined;
  const space = authorization.indexOf(' ');
  const scheme = space === -1 ? authorization : authorization.slice(0, space);
  // Another scheme (Basic, ...) is not ours to judge: the request simply has no bearer.
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  const token = authorization.slice(space + 1).trim();
  if (token.length > maxTokenBytes) throw new Denial('token_too_large', 'bearer token is too large');
  if (space === -1 || token === '') throw malformedBearer();
  return token;
}

const malformedBearer = () => new Denial('credentials_malformed', 'Authorization header is not a valid Bearer credential');

/** RFC 6750 token68 syntax, before a bearer token is verified or sent to Authgear. */
export function assertBearerSyntax(token: string): void {
  if (!TOKEN68.test(token)) throw malformedBearer();
}

const COOKIE_VALUE = /^[\x21-\x7e]+$/;
const COOKIE_VALUE_FORBIDDEN = /[;,"\\]/;

/** Picks the Authgear cookies out of a Cookie header, ignoring every other cookie of the app. */
function readAuthgearCookies(cookieHeader: string | undefined, wanted: readonly string[], maxTokenBytes: number): Credentials['cookies'] {
  if (!cookieHeader) return [];
  const found = new Map<string, string>();
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (!wanted.includes(name) || found.has(name)) continue;
    const value = part.slice(eq + 1).trim();
    if (value.length > maxTokenBytes) throw new Denial('token_too_large', `cookie ${name} is too large`);
    if (value && COOKIE_VALUE.test(value) && !COOKIE_VALUE_FORBIDDEN.test(value)) found.set(name, value);
  }
  return wanted.filter((name) => found.has(name)).map((name) => ({ name, value: found.get(name)! }));
}

export type CredentialReader = (authorization: string | undefined, cookieHeader: string | undefined) => Credentials;

/** Reads what the client presented, with the cookie names (prefix applied) worked out once. */
export function createCredentialReader(options: CredentialOptions): CredentialReader {
  const wanted = AUTHGEAR_COOKIES.map((name) => options.cookiePrefix + name);
  return function readCredentials(authorization, cookieHeader) {
    return { bearer: readBearer(authorization, options.maxTokenBytes), cookies: readAuthgearCookies(cookieHeader, wanted, options.maxTokenBytes) };
  };
}
