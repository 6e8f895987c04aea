import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { tempDir } from './processes.js';

export const ASSERTION = 'x-authgear-gate-assertion';
export const JWKS = '/.well-known/jwks.json';

export type KeyKind = 'P-256' | 'P-384' | 'RSA' | 'RSA-1024' | 'Ed25519';

export interface KeyFile {
  path: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const GENERATE: Record<KeyKind, () => { privateKey: KeyObject; publicKey: KeyObject }> = {
  'P-256': () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  'P-384': () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  RSA: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  'RSA-1024': () => generateKeyPairSync('rsa', { modulusLength: 1024 }),
  Ed25519: () => generateKeyPairSync('ed25519'),
};

/** A new key pair, its private key written where ASSERTION_KEY_FILE can name it (PEM, PKCS #8, or a JWK). */
export function writeAssertionKey(kind: KeyKind = 'P-256', format: 'pem' | 'jwk' = 'pem'): KeyFile {
  const { privateKey, publicKey } = GENERATE[kind]();
  const path = join(tempDir('assertion-key'), format === 'pem' ? 'key.pem' : 'key.json');
  writeFileSync(path, format === 'pem' ? privateKey.export({ type: 'pkcs8', format: 'pem' }) : JSON.stringify(privateKey.export({ format: 'jwk' })));
  return { path, privateKey, publicKey };
}

/** Any text as a key file (a public key, a broken one). */
export function writeKeyText(text: string, name = 'key.pem'): string {
  const path = join(tempDir('assertion-key'), name);
  writeFileSync(path, text);
  return path;
}

export interface AppVerification {
  /** The sidecar's base URL, where the app fetches /.well-known/jwks.json. */
  gateUrl: string;
  /** The app's own host. */
  audience: string;
  algorithms?: string[];
  issuer?: string;
}

/** What an app does with the header: the sidecar's key set over HTTP, jose's jwtVerify, every check. */
export async function verifyAsApp(token: string | undefined, app: AppVerification): Promise<{ payload: JWTPayload; protectedHeader: ProtectedHeaderParameters }> {
  const keys = createRemoteJWKSet(new URL(JWKS, app.gateUrl));
  return jwtVerify(token ?? '', keys, { issuer: app.issuer ?? 'authgear-gate', audience: app.audience, algorithms: app.algorithms ?? ['ES256'] });
}

export const kidOf = (token: string) => decodeProtectedHeader(token).kid;

/** The claims of an assertion that repeat an identity header. */
export const IDENTITY_CLAIMS = ['sub', 'principal', 'anonymous', 'verified', 'can_reauthenticate', 'amr', 'roles', 'auth_time', 'client_id', 'scope'] as const;

/** What an assertion must say, read from the identity headers the app received; a claim is absent when its header is. */
export function claimsOfHeaders(headers: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const header = (name: string) => {
    const value = headers[`x-authgear-${name}`];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const user = header('user-id');
  const flag = (name: string) => (header(name) === undefined ? undefined : header(name) === 'true');
  const amr = header('session-amr');
  const authenticatedAt = header('session-authenticated-at');
  const claims: Record<string, unknown> = {
    sub: user ?? `client_id_${header('client-id')}`,
    principal: user === undefined ? 'client' : 'user',
    anonymous: flag('user-anonymous'),
    verified: flag('user-verified'),
    can_reauthenticate: flag('user-can-reauthenticate'),
    amr: amr === undefined ? undefined : amr.split(' ').filter(Boolean),
    roles: header('user-roles')?.split(','),
    auth_time: authenticatedAt === undefined ? undefined : Number(authenticatedAt),
    client_id: header('client-id'),
    scope: header('scope'),
  };
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
}

/** The identity claims an assertion holds, for comparison with claimsOfHeaders. */
export const identityClaims = (payload: JWTPayload): Record<string, unknown> =>
  Object.fromEntries(IDENTITY_CLAIMS.filter((name) => payload[name] !== undefined).map((name) => [name, payload[name]]));
