import type { Authentication, AuthenticateOptions, Authenticator } from './authentication/authenticator.js';
import type { Credentials } from './credentials/credentials.js';
import { NO_CLAIMS } from './identity/selected-claims.js';
import { Denial } from './outcome.js';
import type { Authorize } from './policy/authorize.js';
import type { Requirements } from './policy/requirements.js';
import type { RouteRequirements } from './policy/route-requirements.js';

export interface RouteJudgeOptions {
  authenticator: Authenticator;
  authorize: Authorize;
  now: () => number;
}

/** What judging noted on the way, for the decision's event: the rule being judged, who authenticated, what a report-only rule refused. */
export interface JudgeTrace {
  rule(name: string | undefined): void;
  principal(authentication: Authentication): void;
  wouldDeny(rule: string | undefined, denial: Denial): void;
}

/**
 * Who may pass every one of these routes (the request's own, and the one of each method an
 * override names, each after the report-only routes matched before it): authenticated once
 * per mode, authorized against each route in turn. The first authentication of an enforced
 * route is the one the answer carries; undefined when only report-only routes needed one.
 * A report-only route's authorization refusal is traced and passed over; its authentication
 * failure is the answer like any other, since a bad token is refused whatever a rule says.
 * Synchronous unless something had to be awaited (a token not seen before, a session, an ID token).
 */
export type RouteJudge = (
  routes: readonly RouteRequirements[],
  credentials: Credentials,
  idToken: (requirements: Requirements) => string | undefined,
  trace: JudgeTrace,
) => Authentication | undefined | Denial | Promise<Authentication | undefined>;

/** What the authenticator needs of a route: its mode and its policy's claims, or nothing (no allocation). */
const authenticateOptions = ({ requirements: { mode }, claims }: RouteRequirements): AuthenticateOptions | undefined =>
  claims !== NO_CLAIMS ? { ...(mode ? { mode } : {}), claims } : mode ? { mode } : undefined;

export function createRouteJudge(options: RouteJudgeOptions): RouteJudge {
  const { authenticator, authorize } = options;
  return function judgeRoutes(routes, credentials, idToken, trace) {
    let first: Authentication | undefined;
    let last: { mode: Requirements['mode']; authentication: Authentication } | undefined;

    const judgeFrom = (index: number): Authentication | undefined | Denial | Promise<Authentication | undefined> => {
      if (index === routes.length) return first;
      const route = routes[index]!;
      const { requirements, rule, reportOnly } = route;
      trace.rule(rule);
      const next = () => {
        const judged = judgeFrom(index + 1);
        if (judged instanceof Denial) throw judged;
        return judged;
      };
      // Only authorization is report-only: the refusal is noted, and the next route judged.
      const passOver = (error: unknown) => {
        if (!reportOnly || !(error instanceof Denial)) throw error;
        trace.wouldDeny(rule, error);
        return next();
      };
      const authorizeThenNext = (authentication: Authentication): Authentication | undefined | Promise<Authentication | undefined> => {
        if (!reportOnly) first ??= authentication;
        last = { mode: requirements.mode, authentication };
        trace.principal(authentication);
        let pending: void | Promise<void>;
        try {
          pending = authorize(authentication, requirements, options.now(), idToken(requirements));
        } catch (error) {
          return passOver(error);
        }
        if (!pending) return next();
        return reportOnly ? pending.then(next, passOver) : pending.then(next);
      };
      // Routes of one mode share one authentication.
      if (last && last.mode === requirements.mode) return authorizeThenNext(last.authentication);
      const authenticated = authenticator.authenticate(credentials, authenticateOptions(route));
      if (authenticated instanceof Denial) return authenticated;
      return authenticated instanceof Promise ? authenticated.then(authorizeThenNext) : authorizeThenNext(authenticated);
    };
    return judgeFrom(0);
  };
}
