import type { Authentication, Authenticator } from './authentication/authenticator.js';
import type { Credentials } from './credentials/credentials.js';
import { Denial } from './outcome.js';
import type { Authorize } from './policy/authorize.js';
import type { Requirements } from './policy/requirements.js';
import type { RouteRequirements } from './policy/route-requirements.js';

export interface RouteJudgeOptions {
  authenticator: Authenticator;
  authorize: Authorize;
  now: () => number;
}

/** What judging noted on the way, for the decision's event: the rule being judged, who authenticated. */
export interface JudgeTrace {
  rule(name: string | undefined): void;
  principal(authentication: Authentication): void;
}

/**
 * Who may pass every one of these routes (the request's own, and the one of each method an
 * override names): authenticated once per mode, authorized against each route in turn. The
 * first authentication is the one the answer carries. Synchronous unless something had to
 * be awaited (a token not seen before, a session, an ID token).
 */
export type RouteJudge = (
  routes: readonly RouteRequirements[],
  credentials: Credentials,
  idToken: (requirements: Requirements) => string | undefined,
  trace: JudgeTrace,
) => Authentication | Denial | Promise<Authentication>;

export function createRouteJudge(options: RouteJudgeOptions): RouteJudge {
  const { authenticator, authorize } = options;
  return function judgeRoutes(routes, credentials, idToken, trace) {
    let first: Authentication | undefined;
    let last: { mode: Requirements['mode']; authentication: Authentication } | undefined;

    const judgeFrom = (index: number): Authentication | Denial | Promise<Authentication> => {
      if (index === routes.length) return first!;
      const { requirements, rule } = routes[index]!;
      trace.rule(rule);
      const authorizeThenNext = (authentication: Authentication): Authentication | Promise<Authentication> => {
        first ??= authentication;
        last = { mode: requirements.mode, authentication };
        trace.principal(authentication);
        const pending = authorize(authentication, requirements, options.now(), idToken(requirements));
        const next = () => {
          const judged = judgeFrom(index + 1);
          if (judged instanceof Denial) throw judged;
          return judged;
        };
        return pending ? pending.then(next) : next();
      };
      // Routes of one mode share one authentication.
      if (last && last.mode === requirements.mode) return authorizeThenNext(last.authentication);
      const authenticated = authenticator.authenticate(credentials, requirements.mode ? { mode: requirements.mode } : undefined);
      if (authenticated instanceof Denial) return authenticated;
      return authenticated instanceof Promise ? authenticated.then(authorizeThenNext) : authorizeThenNext(authenticated);
    };
    return judgeFrom(0);
  };
}
