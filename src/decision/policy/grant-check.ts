import { Denial } from '../outcome.js';
import type { AccessGrant } from '../identity/access-grant.js';
import type { PrincipalKind } from '../identity/identity.js';
import { needsAccessToken, type Principals, type Requirements } from './requirements.js';

export interface GrantCheckOptions {
  /** ACCEPTED_AUDIENCES: an access token's aud must contain one, on routes that name no resource. */
  acceptedAudiences: readonly string[];
}

/**
 * Throws a Denial unless the credentials may enter this route at all: a JWT access token
 * issued for it (aud), a principal of the kind it admits, and the scopes it needs. Runs on
 * every request, a cached token's included, so no route's verdict carries over to another.
 */
export type GrantCheck = (kind: PrincipalKind, grant: AccessGrant | undefined, requirements: Requirements) => void;

const ADMITS: Record<Principals, Record<PrincipalKind, boolean>> = {
  users: { user: true, client: false },
  clients: { user: false, client: true },
  any: { user: true, client: true },
};

export function createGrantCheck(options: GrantCheckOptions): GrantCheck {
  const accepted = new Set(options.acceptedAudiences);

  /** RFC 8707 via Authgear: aud must contain the route's resource URI, compared as a string. */
  function checkAudience(grant: AccessGrant, resource: string | undefined): void {
    const issuedForUs = resource === undefined ? grant.audiences.some((audience) => accepted.has(audience)) : grant.audiences.includes(resource);
    if (!issuedForUs) {
      throw new Denial('wrong_audience', resource === undefined ? 'token aud claim is not acceptable' : 'token was not issued for this resource (aud)');
    }
  }

  function checkScopes(grant: AccessGrant, requirements: Requirements): void {
    const { scopesAllOf, scopesAnyOf } = requirements;
    const hasAll = scopesAllOf.every((scope) => grant.scopes.includes(scope));
    const hasAny = scopesAnyOf.length === 0 || scopesAnyOf.some((scope) => grant.scopes.includes(scope));
    if (hasAll && hasAny) return;
    // RFC 6750 3.1: name the scopes the route needs; for any_of, every scope that would do.
    const scope = [...scopesAllOf, ...scopesAnyOf].join(' ');
    throw new Denial('insufficient_scope', hasAll ? 'the token has none of the accepted scopes' : 'the token lacks a required scope', { scope });
  }

  return function checkGrant(kind, grant, requirements) {
    if (grant) checkAudience(grant, requirements.resource);
    else if (needsAccessToken(requirements)) {
      throw new Denial('access_token_required', 'this route needs a JWT access token (resource or scopes); a session proves neither');
    }
    if (!ADMITS[requirements.principals][kind]) {
      throw new Denial('principal_not_allowed', kind === 'client' ? 'machine clients are not allowed here' : 'only machine clients are allowed here');
    }
    if (grant) checkScopes(grant, requirements);
  };
}
