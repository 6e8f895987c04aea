import type { AuthMode } from '../authentication/auth-mode.js';
import { needsAccessToken, needsClaims, type Requirements } from './requirements.js';

/**
 * Combinations that would refuse every request of a route, so they are refused where they
 * are written (the policy file at start, an auth URL query at its first use) instead.
 * `defaultMode` is AUTH_MODE for a route that names no mode; undefined when not known yet.
 */
export function requirementConflicts(requirements: Requirements, defaultMode: AuthMode | undefined): string[] {
  const conflicts: string[] = [];
  if (requirements.principals === 'clients') {
    // A machine client is no user: it has no roles, is not a verified user and never logged in.
    if (requirements.rolesAllOf.length > 0 || requirements.rolesAnyOf.length > 0) conflicts.push('principals clients cannot have roles (machine clients have none)');
    if (requirements.requireVerified) conflicts.push('principals clients cannot require_verified (a machine client is not a verified user)');
    if (requirements.maxAuthAge !== undefined) conflicts.push('principals clients cannot have max_auth_age (a machine client never logs in)');
  }
  // The resolver reports neither aud nor scope: only a JWT verified here proves them.
  if (needsAccessToken(requirements) && (requirements.mode ?? defaultMode) === 'resolver') {
    conflicts.push('resource and scopes need JWT access tokens, so mode resolver would refuse every request (use auto or jwt)');
  }
  // The resolver answers with headers, never claims: claim conditions could never be met.
  if (needsClaims(requirements) && (requirements.mode ?? defaultMode) === 'resolver') {
    conflicts.push('claim conditions need JWT access tokens, so mode resolver would refuse every request (use jwt or auto)');
  }
  return conflicts;
}
