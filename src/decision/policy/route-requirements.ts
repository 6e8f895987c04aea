import { LRUCache } from 'lru-cache';
import { Denial } from '../outcome.js';
import type { OriginalRequest } from '../request/original-request.js';
import type { AuthMode } from '../authentication/auth-mode.js';
import { claimSelection, NO_CLAIMS, type ClaimSelection } from '../identity/selected-claims.js';
import { claimNamesOf } from './claims/claim-conditions.js';
import { createRuleMatcher } from './matcher.js';
import type { Policy } from './policy-file.js';
import { parseQueryRequirements } from './query-requirements.js';
import { requirementConflicts } from './requirement-conflicts.js';
import { applyFields, DEFAULT_REQUIREMENTS, type Requirements } from './requirements.js';

export interface RouteRequirements {
  /** Name of the policy rule that applied (for logs); undefined without a policy file. */
  rule: string | undefined;
  requirements: Requirements;
  /** The rule's position in its policy (-1: the default rule, -2: no policy file): a lookup past it starts after it. */
  index: number;
  /** enforce: false: the rule is judged and its refusals reported, but it never gives the answer. */
  reportOnly: boolean;
  /** The claims the route's policy version names: what a token verified for it keeps. */
  claims: ClaimSelection;
}

export interface RequirementLookupOptions {
  policy: Policy | undefined;
  /** Whether an ID token verifier exists (CLIENT_IDS set); freshness_from=id_token needs one. */
  idTokensEnabled: boolean;
  /** AUTH_MODE: the mode of a route that names none. */
  defaultMode?: AuthMode;
  /** Distinct auth URL queries kept compiled; a gateway config has a handful. */
  cacheMaxEntries?: number;
  /** policyClaims(policy): the claims its conditions name; none when not given. */
  claims?: ClaimSelection;
}

/**
 * Requirements of the request: the first policy rule that matches at `startIndex` or after it
 * (default 0), then the auth URL query's fields over it. One lookup is one policy version:
 * a reload builds a new one, with its own compiled queries, since an index then means
 * another rule.
 */
export type RequirementLookup = (request: OriginalRequest, query: string, startIndex?: number) => RouteRequirements;

/**
 * Adds the routes of one reading of the request (its method, or one an override names) to
 * those to judge: each report-only rule that matches before an enforced one, then that rule
 * (or the default), found by matching again after each report-only one. Returns the last.
 */
export function addRoutes(lookup: RequirementLookup, as: OriginalRequest, query: string, routes: RouteRequirements[], requests: OriginalRequest[]): RouteRequirements {
  let route = lookup(as, query);
  for (; route.reportOnly; route = lookup(as, query, route.index + 1)) {
    routes.push(route);
    requests.push(as);
  }
  routes.push(route);
  requests.push(as);
  return route;
}

const DEFAULT_ROUTE: RouteRequirements = Object.freeze({ rule: undefined, requirements: DEFAULT_REQUIREMENTS, index: -2, reportOnly: false, claims: NO_CLAIMS });

/** The claims a policy's conditions name (every rule's and the default's); `previous` when it names the same. */
export function policyClaims(policy: Policy | undefined, previous?: ClaimSelection): ClaimSelection {
  const rules = policy ? [policy.fallback, ...policy.rules] : [];
  return claimSelection(rules.flatMap((rule) => claimNamesOf(rule.requirements.claims)), previous);
}

export function createRequirementLookup(options: RequirementLookupOptions): RequirementLookup {
  const { policy, idTokensEnabled } = options;
  const claims = options.claims ?? NO_CLAIMS;
  const matchRule = policy ? createRuleMatcher(policy) : undefined;
  const byRule = policy
    ? [policy.fallback, ...policy.rules].map((rule, at): RouteRequirements => Object.freeze({ rule: rule.name, requirements: rule.requirements, index: at - 1, reportOnly: !rule.enforce, claims }))
    : [];
  // Keyed by rule and query, so a request with a query costs one lookup once warm; a bad
  // query is remembered as its Denial, so a misconfigured location cannot cost a parse per request.
  const compiled = new LRUCache<string, RouteRequirements | Denial>({ max: options.cacheMaxEntries ?? 256 });

  function compile(base: RouteRequirements, query: string): RouteRequirements | Denial {
    try {
      const requirements = applyFields(base.requirements, parseQueryRequirements(query));
      if (requirements.freshnessFrom === 'id_token' && requirements.maxAuthAge === undefined) {
        return new Denial('policy_invalid', `auth URL query "${query}": freshness_from=id_token needs max_age`);
      }
      if (requirements.freshnessFrom === 'id_token' && !idTokensEnabled) {
        return new Denial('policy_invalid', `auth URL query "${query}": freshness_from=id_token needs CLIENT_IDS`);
      }
      const conflicts = requirementConflicts(requirements, options.defaultMode);
      if (conflicts.length > 0) return new Denial('policy_invalid', `auth URL query "${query}": ${conflicts.join('; ')}`);
      return Object.freeze({ ...base, rule: base.rule ?? 'query', requirements });
    } catch (error) {
      if (error instanceof Denial) return error;
      throw error;
    }
  }

  return function requirementsFor(request, query, startIndex = 0) {
    const index = matchRule ? matchRule(request, startIndex).index : -2;
    const base = index === -2 ? DEFAULT_ROUTE : byRule[index + 1]!;
    if (query === '') return base;
    // The query must be the gateway's, never the client's: a gateway that forwards the
    // client's own query string (Caddy's `uri /auth` does) would let `?access=public` in.
    if (request.uri.slice(request.path.length + 1) === query) {
      throw new Denial('policy_invalid', 'the gateway passed the client\'s query string to /auth; give the auth URL its own query (Caddy: uri /auth?)');
    }
    const key = `${index}\n${query}`;
    let entry = compiled.get(key);
    if (entry === undefined) {
      entry = compile(base, query);
      compiled.set(key, entry);
    }
    if (entry instanceof Denial) throw entry;
    return entry;
  };
}
