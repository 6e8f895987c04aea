import { Denial } from '../outcome.js';
import type { Identity } from '../identity/identity.js';
import type { IdTokenVerifier } from '../authentication/jwt/id-token-verifier.js';
import type { OriginalRequest } from '../request/original-request.js';
import type { Requirements } from './requirements.js';

/** What freshness is judged on: the session's (access token or resolver) or a verified ID token's. */
export interface FreshnessEvidence {
  authenticatedAt: number | undefined;
  canReauthenticate: boolean;
}

export interface AuthorizerOptions {
  clockSkewSeconds: number;
  /** Absent when no client ids are configured; then no route may ask for ID tokens. */
  idTokens: IdTokenVerifier | undefined;
}

/**
 * Throws a Denial when the authenticated identity does not meet the requirements. Stays
 * synchronous (no promise on the hot path) unless an ID token has to be verified.
 */
export type Authorize = (identity: Identity, requirements: Requirements, now: number, idToken?: string) => void | Promise<void>;

/** Decides what needs no authentication at all: public routes, denied routes, CORS preflights. */
export function admitWithoutAuthentication(requirements: Requirements, request: OriginalRequest, isPreflight: () => boolean): boolean {
  if (requirements.access === 'deny') throw new Denial('route_denied', 'this route is closed by policy');
  if (requirements.access === 'public') return true;
  return requirements.allowCorsPreflight && request.method === 'OPTIONS' && isPreflight();
}

export function createAuthorizer(options: AuthorizerOptions): Authorize {
  const skew = options.clockSkewSeconds;

  function checkUser(identity: Identity, requirements: Requirements): void {
    if (requirements.denyAnonymous && identity.anonymous) throw new Denial('anonymous_user', 'anonymous users are not allowed here');
    if (requirements.requireVerified && !identity.verified) throw new Denial('unverified_user', 'the user is not verified');
    for (const role of requirements.rolesAllOf) {
      if (!identity.roles.includes(role)) throw new Denial('missing_role', 'the user lacks a required role');
    }
    if (requirements.rolesAnyOf.length > 0 && !requirements.rolesAnyOf.some((role) => identity.roles.includes(role))) {
      throw new Denial('missing_role', 'the user has none of the accepted roles');
    }
  }

  function checkFreshness(evidence: FreshnessEvidence, requirements: Requirements, maxAge: number, now: number): void {
    const authTime = evidence.authenticatedAt;
    // auth_time has whole seconds, so the age is compared in whole seconds too.
    if (authTime !== undefined && Math.floor(now / 1000) - authTime <= maxAge + skew) return;
    // Authgear's reauthentication guide: a user who cannot reauthenticate is the route's call.
    if (!evidence.canReauthenticate) {
      if (requirements.whenCannotReauthenticate === 'allow') return;
      throw new Denial('reauthentication_impossible', `a login within ${maxAge} s is required and the user cannot reauthenticate`);
    }
    const why = authTime === undefined ? 'the time of the last login is unknown' : `the last login is older than ${maxAge} s`;
    throw new Denial('auth_too_old', why, { maxAge });
  }

  async function idTokenEvidence(idToken: string | undefined, userId: string, maxAge: number): Promise<FreshnessEvidence> {
    // The requirement lookup and the config refuse such routes already; this is the last line.
    if (!options.idTokens) throw new Denial('policy_invalid', 'no ID token verifier is configured');
    if (!idToken) throw new Denial('id_token_required', 'this route needs a fresh Authgear ID token', { maxAge });
    let verified;
    try {
      verified = await options.idTokens.verify(idToken);
    } catch (error) {
      if (!(error instanceof Denial) || error.status !== 401) throw error;
      throw new Denial(error.code, `ID token: ${error.message}`, { cause: error.cause, maxAge });
    }
    // Proof of a fresh login counts only for the user the session belongs to.
    if (verified.subject !== userId) throw new Denial('id_token_mismatch', 'the ID token is for another user', { maxAge });
    return verified;
  }

  return function authorize(identity, requirements, now, idToken) {
    checkUser(identity, requirements);
    const maxAge = requirements.maxAuthAge;
    if (maxAge === undefined) return;
    if (requirements.freshnessFrom === 'session') return checkFreshness(identity, requirements, maxAge, now);
    return idTokenEvidence(idToken, identity.userId, maxAge).then((evidence) => checkFreshness(evidence, requirements, maxAge, now));
  };
}
