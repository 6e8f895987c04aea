import { randomBytes, randomUUID } from 'node:crypto';
import type http from 'node:http';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

/**
 * Authgear's /_resolver/resolve as Authgear's server source implements it, over a
 * session store the tests control. Every outcome is an empty-bodied 200 except a wrong
 * method (405) and an unknown Host (404); it never answers 401.
 */
export interface StandInUser {
  id: string;
  anonymous: boolean;
  verified: boolean;
  canReauthenticate: boolean;
  roles: string[];
  amr: string[];
  /** Unix seconds; 0 = unknown (the header is then absent). */
  authenticatedAt: number;
  disabled: boolean;
}

/**
 * `bearer` is an opaque access token sent as `Authorization: Bearer`; `third_party_bearer` is
 * the opaque token of a third-party client (issued without resource=), which only
 * /oauth2/userinfo accepts: the resolver answers Session-Valid: false for it.
 */
export type CredentialKind = 'bearer' | 'third_party_bearer' | 'app_session' | 'app_access_token' | 'session';

export interface SessionStore {
  createUser(overrides?: Partial<StandInUser>): StandInUser;
  /** A new credential for the user (a new user from `overrides` when none is given). */
  issue(kind: CredentialKind, user?: StandInUser | Partial<StandInUser>): { value: string; user: StandInUser };
  /** Revokes a credential, or a JWT by its jti. */
  revoke(valueOrJti: string): void;
  disableUser(id: string): void;
  /** Headers of every resolve request received, oldest first. */
  requests: http.IncomingHttpHeaders[];
}

export interface ResolverStandInOptions {
  origin: () => string;
  keys: () => JSONWebKeySet;
  cookiePrefix: string;
}

const HEADER_PREFIX = 'x-authgear-';
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

function readCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && !cookies.has(part.slice(0, eq).trim())) cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return cookies;
}

export function createResolverStandIn(options: ResolverStandInOptions): {
  sessions: SessionStore;
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
} {
  const users = new Map<string, StandInUser>();
  const credentials = new Map<string, { kind: CredentialKind; userId: string }>();
  const revoked = new Set<string>();
  const requests: http.IncomingHttpHeaders[] = [];

  const sessions: SessionStore = {
    requests,
    createUser(overrides = {}) {
      const user: StandInUser = {
        id: randomUUID(), anonymous: false, verified: true, canReauthenticate: true, roles: [], amr: ['pwd'],
        authenticatedAt: Math.floor(Date.now() / 1000) - 60, disabled: false, ...overrides,
      };
      users.set(user.id, user);
      return user;
    },
    issue(kind, given) {
      const user = given && 'id' in given && users.has(given.id!) ? (given as StandInUser) : sessions.createUser(given);
      const value = randomBytes(24).toString('base64url');
      credentials.set(value, { kind, userId: user.id });
      return { value, user };
    },
    revoke: (value) => void revoked.add(value),
    disableUser(id) {
      users.get(id)!.disabled = true;
    },
  };

  const stored = (value: string | undefined, kind: CredentialKind) => {
    const found = value === undefined || revoked.has(value) ? undefined : credentials.get(value);
    return found?.kind === kind ? users.get(found.userId) : undefined;
  };

  /** A JWT is checked with aud = the origin of this very request, as Authgear does. */
  async function userOfJwt(token: string, req: http.IncomingMessage): Promise<StandInUser | undefined> {
    const audience = `${req.headers['x-forwarded-proto'] ?? 'http'}://${req.headers.host}`;
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(options.keys()), { audience, algorithms: ['RS256'] });
      if (typeof payload.jti === 'string' && revoked.has(payload.jti)) return undefined;
      return users.get(String(payload.sub)) ?? sessions.createUser({ id: String(payload.sub) });
    } catch {
      return undefined;
    }
  }

  // Bearer, app_session, app_access_token: an invalid one counts as absent. The session
  // cookie comes last, and an invalid one makes the whole answer "invalid".
  async function resolve(req: http.IncomingMessage): Promise<{ user?: StandInUser; invalid: boolean; keepCookie?: boolean }> {
    const cookies = readCookies(req.headers.cookie);
    const name = (base: string) => options.cookiePrefix + base;
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() === 'bearer' && token) {
      if (stored(token, 'third_party_bearer')) return { invalid: true, keepCookie: true };
      const user = JWT_SHAPE.test(token) ? await userOfJwt(token, req) : stored(token, 'bearer');
      if (user) return { user, invalid: false };
    }
    for (const kind of ['app_session', 'app_access_token'] as const) {
      const user = stored(cookies.get(name(kind)), kind);
      if (user) return { user, invalid: false };
    }
    const sessionCookie = cookies.get(name('session'));
    if (sessionCookie === undefined) return { invalid: false };
    const user = stored(sessionCookie, 'session');
    return user ? { user, invalid: false } : { invalid: true };
  }

  function userHeaders(user: StandInUser): Record<string, string> {
    return {
      [`${HEADER_PREFIX}session-valid`]: 'true',
      [`${HEADER_PREFIX}user-id`]: user.id,
      [`${HEADER_PREFIX}user-anonymous`]: String(user.anonymous),
      [`${HEADER_PREFIX}user-verified`]: String(user.verified),
      [`${HEADER_PREFIX}user-can-reauthenticate`]: String(user.canReauthenticate),
      ...(user.roles.length > 0 ? { [`${HEADER_PREFIX}user-roles`]: user.roles.join(',') } : {}),
      [`${HEADER_PREFIX}session-amr`]: user.amr.join(' '),
      ...(user.authenticatedAt !== 0 ? { [`${HEADER_PREFIX}session-authenticated-at`]: String(user.authenticatedAt) } : {}),
    };
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    requests.push({ ...req.headers });
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    const origin = new URL(options.origin());
    if (req.headers.host !== origin.host) return void res.writeHead(404, { 'content-length': 0 }).end();
    resolve(req).then(({ user, invalid, keepCookie = false }) => {
      const headers: http.OutgoingHttpHeaders = { 'content-length': 0 };
      const dead = invalid || user?.disabled === true;
      if (dead) {
        headers[`${HEADER_PREFIX}session-valid`] = 'false';
        // The dead browser session is cleared, if the request carried one.
        if (!keepCookie && readCookies(req.headers.cookie).has(options.cookiePrefix + 'session')) {
          const secure = origin.protocol === 'https:' ? '; Secure' : '';
          headers['set-cookie'] = [`${options.cookiePrefix}session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax${secure}`];
        }
      } else if (user) Object.assign(headers, userHeaders(user));
      res.writeHead(200, headers).end();
    }, () => res.writeHead(500, { 'content-length': 0 }).end());
  }

  return { sessions, handle };
}
