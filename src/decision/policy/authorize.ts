import { Denial } from '../outcome.js';
import type { AccessGrant } from '../identity/access-grant.js';
import type { Identity } from '../identity/identity.js';
import { createGrantCheck } from './grant-check.js';
import { checkClaims } from './claims/claim-check.js';
import type { SelectedClaims } from '../identity/selected-claims.js';
import type { IdTokenVerifier } from '../authentication/jwt/id-token-verifier.js';
import type { OriginalRequest } from '../request/original-request.js';
import type { Requirements } from './requirements.js';

/** What freshness is judged on: the session's (access token or resolver) or a verified ID token's. */
export interface FreshnessEvidence {
  authenticatedAt: number | undefined;
  canReauthenticate: boolean;
}

/** Who authenticated, and what their JWT access token grants and claims (undefined for a resolver answer). */
export interface Authenticated {
  identity: Identity;
  grant: AccessGrant | undefined;
  /** The verified claims the policy names; undefined for a session, which the resolver answers with headers. */
  claims: SelectedClaims | undefined;
}

export interface AuthorizerOptions {
  clockSkewSeconds: number;
  /** ACCEPTED_AUDIENCES: an access token's aud must contain one, on routes that name no resource. */
  acceptedAudiences: readonly string[];
  /** Absent when no client ids are configured; then no route may ask for ID tokens. */
  idTokens: IdTokenVerifier | undefined;
}

/**
 * Throws a Denial when the authenticated identity does not meet the requirements. Stays
 * synchronous (no promise on the hot path) unless an ID token has to be verified.
 */
export type Authorize = (authenticated: Authenticated, requirements: Requirements, now: number, idToken?: string) => void | Promise<void>;

/** Decides what needs no authentication at all: public routes, denied routes, CORS preflights. */
export function admitWithoutAuthentication(requirements: Requirements, request: OriginalRequest, isPreflight: () => boolean): boolean {
  if (requirements.access === 'deny') throw new Denial('route_denied', 'this route is closed by policy');
  if (requirements.access === 'public') return true;
  return requirements.allowCorsPreflight && request.method === 'OPTIONS' && isPreflight();
}

export function createAuthorizer(options: AuthorizerOptions): Authorize {
  const skew = options.clockSkewSeconds;
  const checkGrant = createGrantCheck({ acceptedAudiences: options.acceptedAudiences });

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

  /**
   * A login time further ahead than the clock skew is not evidence of a recent login: it is a
   * clock fault (Authgear's clock ahead, or stepped back since the session began) or a claim
   * nobody should trust. It counts exactly as much as no login time at all, so it falls under
   * the same rules as an unknown one (auth_too_old, or the route's
   * when_cannot_reauthenticate) rather than under a code of its own: those rules already say
   * what a route does without usable evidence, and a new login gives a real login time. This
   * holds for every source: the access token's auth_time, the resolver's authenticated-at and
   * an ID token's auth_time all arrive here.
   */
  function usableLoginTime(authTime: number | undefined, nowSeconds: number): number | undefined {
    return authTime !== undefined && authTime <= nowSeconds + skew ? authTime : undefined;
  }

  function checkFreshness(evidence: FreshnessEvidence, requirements: Requirements, maxAge: number, now: number): void {
    // auth_time has whole seconds, so the age is compared in whole seconds too.
    const nowSeconds = Math.floor(now / 1000);
    const authTime = usableLoginTime(evidence.authenticatedAt, nowSeconds);
    if (authTime !== undefined && nowSeconds - authTime <= maxAge + skew) return;
    // Authgear's reauthentication guide: a user who cannot reauthenticate is the route's call.
    if (!evidence.canReauthenticate) {
      if (requirements.whenCannotReauthenticate === 'allow') return;
      throw new Denial('reauthentication_impossible', `a login within ${maxAge} s is required and the user cannot reauthenticate`);
    }
    throw new Denial('auth_too_old', staleness(evidence.authenticatedAt, authTime, maxAge), { maxAge });
  }

  function staleness(claimed: number | undefined, usable: number | undefined, maxAge: number): string {
    if (claimed === undefined) return 'the time of the last login is unknown';
    if (usable === undefined) return 'the time of the last login is in the future, so it proves nothing';
    return `the last login is older than ${maxAge} s`;
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

  return function authorize({ identity, grant, claims }, requirements, now, idToken) {
    checkGrant(identity.kind, grant, requirements);
    checkUser(identity, requirements);
    checkClaims(claims, requirements.claims);
    const maxAge = requirements.maxAuthAge;
    if (maxAge === undefined) return;
    // A machine client never logged in: no login time, and no way to get one.
    if (identity.kind === 'client') throw new Denial('principal_not_allowed', `a login within ${maxAge} s is required, which only a user has`);
    if (requirements.freshnessFrom === 'session') return checkFreshness(identity, requirements, maxAge, now);
    return idTokenEvidence(idToken, identity.userId, maxAge).then((evidence) => checkFreshness(evidence, requirements, maxAge, now));
  };
}
