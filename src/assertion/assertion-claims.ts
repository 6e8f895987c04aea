import type { JWTPayload } from 'jose';
import type { Authentication } from '../decision/authentication/authenticator.js';

/**
 * What an assertion says of who was let in: what the identity headers say, in the claim
 * names apps already read (RFC 7519, RFC 9068, OIDC), and nothing they do not (never the
 * token or the cookie). A claim is present exactly when its header is: roles when the user
 * has any, auth_time when it is known, client_id and scope for JWT access tokens, no user
 * claim at all for a machine client. iss, aud, iat and exp are the signer's.
 * CLAIM_HEADERS values are left out: their names are the operator's, not a claim's.
 */
export function assertionClaims(authentication: Authentication, rule: string | undefined): JWTPayload {
  const { identity, grant } = authentication;
  const claims: JWTPayload = { sub: identity.userId, principal: identity.kind };
  if (identity.kind === 'user') {
    claims['anonymous'] = identity.anonymous;
    claims['verified'] = identity.verified;
    claims['can_reauthenticate'] = identity.canReauthenticate;
    claims['amr'] = [...identity.amr];
    if (identity.roles.length > 0) claims['roles'] = [...identity.roles];
    if (identity.authenticatedAt !== undefined) claims['auth_time'] = identity.authenticatedAt;
  }
  if (grant?.clientId !== undefined) claims['client_id'] = grant.clientId;
  if (grant && grant.scopes.length > 0) claims['scope'] = grant.scopes.join(' ');
  // The route rule that let it in: an app can tell an admin-only route's request from another.
  if (rule !== undefined) claims['rule'] = rule;
  return claims;
}
