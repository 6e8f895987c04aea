import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { CompactSign, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { createResolverStandIn, type SessionStore } from './resolver-stand-in.js';

export type { CredentialKind, SessionStore, StandInUser } from './resolver-stand-in.js';

/**
 * A local Authgear, faithful to what Authgear's server source does: discovery, JWKS without
 * Cache-Control, 307 for a foreign Host, RS256 keys with UUID kids, tokens shaped like
 * Authgear's, and /_resolver/resolve over a session store the tests control (`sessions`).
 * It counts every request so tests can assert what reached "Authgear".
 */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface TokenOptions {
  claims?: Record<string, unknown>;
  /** Remove these claims from the default set. */
  omit?: string[];
  header?: Record<string, unknown>;
  key?: SigningKey;
  alg?: string;
  /** Seconds relative to now. */
  expiresIn?: number;
  now?: number;
  /** Edits the payload's JSON text before it is signed: for what no JS value serializes to (`"exp":1e309`). */
  payloadText?: (json: string) => string;
}

/** A token bound to an API resource (RFC 8707), with that resource's scopes. */
export interface ResourceOptions {
  /** The resource URI: the token's aud, alone. */
  resource: string;
  /** Resource scopes granted, e.g. read:orders. */
  scopes?: string[];
}

export interface AuthgearStandIn {
  origin: string;
  /** Where to connect (differs from origin when a public origin is simulated). */
  url: string;
  port: number;
  keys: SigningKey[];
  counts: Map<string, number>;
  count(path: string): number;
  /** Users and credentials /_resolver/resolve knows; `sessions.requests` holds what it was sent. */
  sessions: SessionStore;
  /** Requests being answered now, and the most ever at once. */
  inFlight(): number;
  maxInFlight(): number;
  /** Publishes a new first (signing) key; the old ones stay published unless `dropOld`. */
  rotate(options?: { dropOld?: boolean }): Promise<SigningKey>;
  newUnpublishedKey(): Promise<SigningKey>;
  /**
   * A user's access token. With `resource`, as a client that sent resource= gets it: aud is
   * [resource] only (not the project origin), scope the OIDC scopes and the resource's.
   */
  accessToken(options?: TokenOptions & Partial<ResourceOptions>): Promise<string>;
  /**
   * An M2M token (client_credentials grant; `clientId` default 'm2m-client'): aud the resource,
   * client_id, scope, sub `client_id_<clientId>`, and no auth_time, amr or user claims.
   */
  machineToken(options: TokenOptions & ResourceOptions & { clientId?: string }): Promise<string>;
  /** An ID token as Authgear issues it to `clientId` (default 'test-client'): typ JWT, aud the client, 5 min. */
  idToken(options?: TokenOptions & { clientId?: string }): Promise<string>;
  /** Fields laid over the discovery document (e.g. another authorization_endpoint). */
  discoveryOverrides: Record<string, unknown>;
  /** Unix seconds "now" of the issued tokens; follow a test's fake clock with this. */
  setClock(nowSeconds: () => number): void;
  /** 'up', 'error' (500s) or 'down' (connections reset); delayMs slows every answer. */
  setState(state: 'up' | 'error' | 'down', delayMs?: number): void;
  close(): Promise<void>;
  server: http.Server;
  handlers: Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>;
}

export const CLAIMS = {
  anonymous: 'https://authgear.com/claims/user/is_anonymous',
  verified: 'https://authgear.com/claims/user/is_verified',
  canReauthenticate: 'https://authgear.com/claims/user/can_reauthenticate',
  roles: 'https://authgear.com/claims/user/roles',
} as const;

/** What Authgear puts in every token about a (fresh, random) user, issued at `iat` (Unix seconds). */
function userClaims(origin: string, iat: number, expiresIn: number): JWTPayload {
  return {
    iss: origin,
    sub: randomUUID(),
    iat,
    exp: iat + expiresIn,
    auth_time: iat - 60,
    amr: ['pwd'],
    [CLAIMS.anonymous]: false,
    [CLAIMS.verified]: true,
    [CLAIMS.canReauthenticate]: true,
    [CLAIMS.roles]: [],
  };
}

/** What Authgear puts in an M2M token (besides aud, client_id and scope): no user claims at all. */
function machineClaims(origin: string, iat: number, expiresIn: number): JWTPayload {
  return { iss: origin, iat, exp: iat + expiresIn, jti: randomUUID() };
}

/** The OIDC scopes a resource-bound user token carries besides the resource's (never resource scopes). */
const OIDC_SCOPES = ['openid', 'offline_access'];

const accessTokenKindClaims = (origin: string): JWTPayload => ({
  aud: [origin],
  client_id: 'test-client',
  jti: randomUUID(),
  scope: 'openid offline_access https://authgear.com/scopes/full-access',
});

/** The claims of an Authgear JWT access token, for tokens signed outside the stand-in (the bench). */
export const accessTokenClaims = (origin: string, iat: number, expiresIn = 1800): JWTPayload => ({
  ...userClaims(origin, iat, expiresIn),
  ...accessTokenKindClaims(origin),
});

export async function generateSigningKey(alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { modulusLength: 2048, extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg } };
}

export const RESOLVE_PATH = '/_resolver/resolve';

export async function startAuthgearStandIn(options: { publicOrigin?: string; cookiePrefix?: string } = {}): Promise<AuthgearStandIn> {
  const keys: SigningKey[] = [await generateSigningKey()];
  const counts = new Map<string, number>();
  let state: 'up' | 'error' | 'down' = 'up';
  let delayMs = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let clock = () => Math.floor(Date.now() / 1000);
  const handlers = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>();

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (state === 'down') return void req.socket.destroy();
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => { inFlight--; });
    const answer = () => {
      if (state === 'error') return void res.writeHead(500).end();
      // The resolver picks the project by Host itself (404 for an unknown one), no redirect.
      if (path === RESOLVE_PATH && !handlers.has(path)) return resolver.handle(req, res);
      if (req.headers.host !== new URL(standIn.origin).host) {
        return void res.writeHead(307, { location: standIn.origin + (req.url ?? '/') }).end();
      }
      const handler = handlers.get(path);
      if (handler) return handler(req, res);
      res.writeHead(404).end();
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const json = (res: http.ServerResponse, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };
  const discovery = (_req: http.IncomingMessage, res: http.ServerResponse) =>
    json(res, {
      issuer: standIn.origin,
      authorization_endpoint: `${standIn.origin}/oauth2/authorize`,
      token_endpoint: `${standIn.origin}/oauth2/token`,
      userinfo_endpoint: `${standIn.origin}/oauth2/userinfo`,
      revocation_endpoint: `${standIn.origin}/oauth2/revoke`,
      end_session_endpoint: `${standIn.origin}/oauth2/end_session`,
      jwks_uri: `${standIn.origin}/oauth2/jwks`,
      id_token_signing_alg_values_supported: ['RS256'],
      ...standIn.discoveryOverrides,
    });
  handlers.set('/.well-known/openid-configuration', discovery);
  handlers.set('/.well-known/oauth-authorization-server', discovery);
  handlers.set('/oauth2/jwks', (_req, res) => json(res, { keys: keys.map((key) => key.publicJwk) }));
  const resolver = createResolverStandIn({
    origin: () => standIn.origin,
    keys: () => ({ keys: keys.map((key) => key.publicJwk) }),
    cookiePrefix: options.cookiePrefix ?? '',
  });

  async function sign(
    typ: string,
    kindClaims: Record<string, unknown>,
    { claims = {}, omit = [], header = {}, key = keys[0]!, alg = 'RS256', expiresIn = 1800, now, payloadText }: TokenOptions,
    baseClaims = userClaims,
  ): Promise<string> {
    const payload: JWTPayload = { ...baseClaims(standIn.origin, now ?? clock(), expiresIn), ...kindClaims, ...claims };
    for (const name of omit) delete payload[name];
    if (payloadText) {
      const text = payloadText(JSON.stringify(payload));
      return new CompactSign(new TextEncoder().encode(text)).setProtectedHeader({ alg, typ, kid: key.kid, ...header }).sign(key.privateKey);
    }
    return new SignJWT(payload).setProtectedHeader({ alg, typ, kid: key.kid, ...header }).sign(key.privateKey);
  }

  const standIn: AuthgearStandIn = {
    origin: options.publicOrigin ?? url,
    url,
    port,
    keys,
    counts,
    sessions: resolver.sessions,
    server,
    handlers,
    discoveryOverrides: {},
    count: (path) => counts.get(path) ?? 0,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    async rotate({ dropOld = false } = {}) {
      const key = await generateSigningKey();
      if (dropOld) keys.splice(0, keys.length);
      keys.unshift(key);
      return key;
    },
    newUnpublishedKey: () => generateSigningKey(),
    async accessToken({ resource, scopes = [], ...tokenOptions } = {}) {
      const bound = resource === undefined ? {} : { aud: [resource], scope: [...OIDC_SCOPES, ...scopes].join(' ') };
      return sign('at+jwt', { ...accessTokenKindClaims(standIn.origin), ...bound }, tokenOptions);
    },
    async machineToken({ resource, scopes = [], clientId = 'm2m-client', ...tokenOptions }) {
      const kind = { aud: [resource], client_id: clientId, scope: scopes.join(' '), sub: `client_id_${clientId}` };
      return sign('at+jwt', kind, tokenOptions, machineClaims);
    },
    async idToken({ clientId = 'test-client', ...tokenOptions } = {}) {
      return sign('JWT', { aud: [clientId], sid: randomUUID() }, { expiresIn: 300, ...tokenOptions });
    },
    setClock: (nowSeconds) => { clock = nowSeconds; },
    setState(next, delay = 0) {
      state = next;
      delayMs = delay;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return standIn;
}
