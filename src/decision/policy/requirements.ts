import { z } from 'zod';
import { AUTH_MODES, type AuthMode } from '../authentication/auth-mode.js';
import { AUTHGEAR_ROLE } from '../identity/identity.js';
import { ClaimConditionsField, compileClaimConditions, type ClaimCondition } from './claims/claim-conditions.js';

/** What a route asks of a request, whether it comes from a policy file rule or an auth URL query. */
export interface Requirements {
  /** public: no authentication at all; deny: nobody; authenticated: a valid user. */
  access: 'public' | 'authenticated' | 'deny';
  denyAnonymous: boolean;
  requireVerified: boolean;
  /** The user needs at least one of these (ignored when empty). */
  rolesAnyOf: readonly string[];
  /** The user needs every one of these. */
  rolesAllOf: readonly string[];
  /** undefined: the authenticator's own default. */
  mode: AuthMode | undefined;
  /** Seconds since the user last authenticated; undefined: no bound. */
  maxAuthAge: number | undefined;
  /** Where the verified auth_time comes from: the session/access token, or an Authgear ID token. */
  freshnessFrom: 'session' | 'id_token';
  /** For a stale user whose can_reauthenticate is false (Authgear's reauthentication guide). */
  whenCannotReauthenticate: 'allow' | 'deny';
  /** Let CORS preflights (OPTIONS + Access-Control-Request-Method) through without credentials. */
  allowCorsPreflight: boolean;
  /**
   * An API registered in Authgear as a resource: a JWT access token's aud must contain this
   * exact URI, instead of one of ACCEPTED_AUDIENCES. undefined: ACCEPTED_AUDIENCES.
   */
  resource: string | undefined;
  /** The access token needs every one of these scopes. */
  scopesAllOf: readonly string[];
  /** The access token needs at least one of these scopes (ignored when empty). */
  scopesAnyOf: readonly string[];
  /** Who may pass: signed-in users, machine clients (M2M tokens), or both. */
  principals: Principals;
  /** Conditions on verified claims of a JWT access token, all of which must hold (policy file only). */
  claims: readonly ClaimCondition[];
}

export const PRINCIPALS = ['users', 'clients', 'any'] as const;
export type Principals = (typeof PRINCIPALS)[number];

/** Any signed-in user, nothing more: what /auth did before policies existed. */
export const DEFAULT_REQUIREMENTS: Requirements = Object.freeze({
  access: 'authenticated',
  denyAnonymous: false,
  requireVerified: false,
  rolesAnyOf: [],
  rolesAllOf: [],
  mode: undefined,
  maxAuthAge: undefined,
  freshnessFrom: 'session',
  // Fail closed: a stale user who cannot prove a fresh login is not let through unless asked.
  whenCannotReauthenticate: 'deny',
  allowCorsPreflight: false,
  resource: undefined,
  scopesAllOf: [],
  scopesAnyOf: [],
  // Today's contract: what passes is a user; a machine client must be let in by name.
  principals: 'users',
  claims: Object.freeze([]),
});

/** Whether the route needs what only a JWT access token carries (aud, scope). */
export const needsAccessToken = (requirements: Requirements): boolean =>
  requirements.resource !== undefined || requirements.scopesAllOf.length > 0 || requirements.scopesAnyOf.length > 0;

/** Whether the route has claim conditions, which a session (headers, not claims) can never meet. */
export const needsClaims = (requirements: Requirements): boolean => requirements.claims.length > 0;

// Only a role of Authgear's grammar can ever be matched (others are dropped from identities),
// so a rule naming another one is a mistake, refused where it is written.
export const role = z.string().regex(AUTHGEAR_ROLE, 'an Authgear role is 1-40 of a-z, A-Z, 0-9, : and _, starting with a letter or _');

// RFC 6749 3.3 scope-token: visible ASCII but space, " and \.
export const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'a scope is 1-128 visible ASCII characters without quotes or backslashes');

/**
 * An Authgear API resource URI: https, a host, a path if any, no query, fragment or
 * userinfo. Kept exactly as written, because Authgear compares resources as strings
 * (`https://api.example.com` and `https://api.example.com/` are two resources).
 */
export const resourceUri = z.string().max(2048).refine((value) => {
  if (!/^https:\/\/[\x21-\x7e]+$/.test(value) || value.includes('?') || value.includes('#')) return false;
  try {
    const url = new URL(value);
    return url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}, 'a resource is an https URI with a host and optionally a path, without query, fragment or userinfo');

/** One year: a larger bound is a typo, not a freshness requirement. */
export const maxAuthAge = z.number().int().min(0).max(31_536_000);

/** The requirement fields as a policy file spells them (snake_case), all optional. */
export const RequirementFields = z.strictObject({
  access: z.enum(['public', 'authenticated', 'deny']).optional(),
  deny_anonymous: z.boolean().optional(),
  require_verified: z.boolean().optional(),
  roles: z.union([
    z.array(role),
    z.strictObject({ any_of: z.array(role).optional(), all_of: z.array(role).optional() }),
  ]).optional(),
  mode: z.enum(AUTH_MODES).optional(),
  max_auth_age: maxAuthAge.optional(),
  freshness_from: z.enum(['session', 'id_token']).optional(),
  when_cannot_reauthenticate: z.enum(['allow', 'deny']).optional(),
  allow_cors_preflight: z.boolean().optional(),
  resource: resourceUri.optional(),
  // A list means all of them, as a route's scopes usually do (unlike roles, where it means any).
  scopes: z.union([
    z.array(scope),
    z.strictObject({ all_of: z.array(scope).optional(), any_of: z.array(scope).optional() }),
  ]).optional(),
  principals: z.enum(PRINCIPALS).optional(),
  claims: ClaimConditionsField.optional(),
});
export type RequirementFields = z.infer<typeof RequirementFields>;

/** The fields given, laid over `base`: what is not said is inherited. */
export function applyFields(base: Requirements, fields: RequirementFields): Requirements {
  const roles = Array.isArray(fields.roles) ? { any_of: fields.roles } : fields.roles;
  const scopes = Array.isArray(fields.scopes) ? { all_of: fields.scopes } : fields.scopes;
  return Object.freeze({
    access: fields.access ?? base.access,
    denyAnonymous: fields.deny_anonymous ?? base.denyAnonymous,
    requireVerified: fields.require_verified ?? base.requireVerified,
    rolesAnyOf: roles ? roles.any_of ?? [] : base.rolesAnyOf,
    rolesAllOf: roles ? roles.all_of ?? [] : base.rolesAllOf,
    mode: fields.mode ?? base.mode,
    maxAuthAge: fields.max_auth_age ?? base.maxAuthAge,
    freshnessFrom: fields.freshness_from ?? base.freshnessFrom,
    whenCannotReauthenticate: fields.when_cannot_reauthenticate ?? base.whenCannotReauthenticate,
    allowCorsPreflight: fields.allow_cors_preflight ?? base.allowCorsPreflight,
    resource: fields.resource ?? base.resource,
    scopesAllOf: scopes ? scopes.all_of ?? [] : base.scopesAllOf,
    scopesAnyOf: scopes ? scopes.any_of ?? [] : base.scopesAnyOf,
    principals: fields.principals ?? base.principals,
    claims: fields.claims ? compileClaimConditions(fields.claims) : base.claims,
  });
}

/** Formats zod issues as `where: what`, one line each, for config errors and logs. */
export function describeIssues(issues: ReadonlyArray<z.core.$ZodIssue>, prefix = ''): string[] {
  return issues.map((issue) => {
    const where = issue.path.map(String).join('.');
    return `${prefix}${where ? `${where}: ` : ''}${issue.message}`;
  });
}
