import type { Authentication, Authenticator } from './authentication/authenticator.js';
import { createCredentialReader, type CredentialOptions } from './credentials/credentials.js';
import type { DecisionTracing } from './decision-tracing.js';
import { createRouteJudge } from './judge-routes.js';
import { Denial } from './outcome.js';
import { admitWithoutAuthentication, type Authorize } from './policy/authorize.js';
import { addRoutes, type RequirementLookup, type RouteRequirements } from './policy/route-requirements.js';
import { outcomeCode, resultOf, type AllowCode, type AuthDecision, type AuthQuestion, type DecisionEvent, type Outcome, type WouldDeny } from './question.js';
import type { LoginRedirect } from './refusal/login/login-redirect.js';
import { createRefusal } from './refusal/refusal.js';
import { createHeaderScreen } from './request/header-screen.js';
import { overriddenMethods } from './request/method-override.js';
import type { OriginalRequest } from './request/original-request.js';
import { requestIdOf } from './request/request-id.js';

export interface AuthDecisionOptions {
  authenticator: Authenticator;
  credentials: CredentialOptions;
  realm: string;
  /**
   * The policy version a request starting now is decided by. Asked once per request, which
   * keeps that lookup to its answer, across its awaits: a reload never shows it half of one.
   */
  policy: () => RequirementLookup;
  authorize: Authorize;
  /** Where routes whose freshness comes from an ID token find it. */
  idTokenHeader: string;
  /** Browser login; undefined when LOGIN_REDIRECT_URI is not set. */
  login: LoginRedirect | undefined;
  now: () => number;
  onDecision?: (event: DecisionEvent) => void;
  /** A span per decision, when tracing is on; without it nothing of tracing runs. */
  tracing?: DecisionTracing;
}

const NO_HEADERS: ReadonlyArray<readonly [string, string]> = Object.freeze([]);
/** An allow without authentication: a public route, or a CORS preflight. */
const unauthenticated = (code: AllowCode, rule: string | undefined): Outcome => ({ kind: 'allow', code, headers: NO_HEADERS, authentication: undefined, rule });

/**
 * The one decision: original request -> route requirements (each method it can mean) ->
 * credentials -> authentication -> policy -> outcome. Anything unexpected is undecided (a
 * 503), because only what was proved is allowed. It knows no gateway: each one reads the
 * question and writes the outcome in its own terms (gateways/).
 */
export function createAuthDecision(options: AuthDecisionOptions): AuthDecision {
  const { policy, login, onDecision, tracing } = options;
  const readCredentials = createCredentialReader(options.credentials);
  const refusal = createRefusal({ realm: options.realm, login });
  const idTokenHeader = options.idTokenHeader.toLowerCase();
  const screenHeaders = createHeaderScreen({ idTokenHeader });
  const judgeRoutes = createRouteJudge(options);

  return function decideAuth({ readRequest, header, query }: AuthQuestion) {
    const started = performance.now();
    const span = tracing?.start(header);
    let request: OriginalRequest | undefined;
    let rule: string | undefined;
    let who: Authentication | undefined;
    let wouldDeny: WouldDeny[] | undefined;
    const trace = {
      rule: (name: string | undefined) => { rule = name; },
      principal: (authentication: Authentication) => { who = authentication; },
      wouldDeny: (name: string | undefined, denial: Denial) => { (wouldDeny ??= []).push({ rule: name, denial }); },
    };
    try {
      const decided = span ? span.within(decide) : decide();
      return decided instanceof Promise ? decided.catch(refuse) : decided;
    } catch (error) {
      return refuse(error);
    }

    function decide(): Outcome | Promise<Outcome> {
      const original = (request = readRequest());
      const { methodOverride } = screenHeaders(header);
      const returnTo = login?.callbackTarget(original);
      if (returnTo !== undefined) return done({ kind: 'redirect', code: 'login_callback', location: returnTo, denial: undefined, challenge: undefined });
      // One policy version from here to the answer, whatever a reload swaps in meanwhile.
      const lookup = policy();
      const routes: RouteRequirements[] = [];
      const requests: OriginalRequest[] = [];
      const route = addRoutes(lookup, original, query, routes, requests);
      rule = route.rule;
      // The app may take the request for another method (an override header or `_method`):
      // it passes only if it would pass as each of them.
      for (const method of overriddenMethods(original, header, methodOverride)) addRoutes(lookup, { ...original, method }, query, routes, requests);
      const toJudge = routes.filter((each, at) => !admitted(each, requests[at]!));
      rule = route.rule;
      const withoutIdentity = () => done(unauthenticated(route.requirements.access === 'public' ? 'public' : 'cors_preflight', route.rule));
      if (toJudge.length === 0) return withoutIdentity();
      const idToken = (requirements: RouteRequirements['requirements']) => (requirements.freshnessFrom === 'id_token' ? header(idTokenHeader) : undefined);
      const judged = judgeRoutes(toJudge, readCredentials(header('authorization'), header('cookie')), idToken, trace);
      // No enforced route needed an identity (only a report-only one did): answered as the enforced ones say.
      const answer = (authentication: Authentication | undefined) => {
        rule = route.rule;
        if (!authentication) return withoutIdentity();
        return done({ kind: 'allow', code: 'allowed', headers: authentication.headers, authentication, rule: route.rule }, authentication.via);
      };
      if (judged instanceof Denial) return refuse(judged);
      return judged instanceof Promise ? judged.then(answer) : answer(judged);
    }

    function admitted(route: RouteRequirements, as: OriginalRequest): boolean {
      rule = route.rule;
      try {
        return admitWithoutAuthentication(route.requirements, as, () => header('access-control-request-method') !== undefined);
      } catch (error) {
        // A report-only `access: deny` is reported, and then nothing more of it is judged.
        if (!route.reportOnly || !(error instanceof Denial)) throw error;
        trace.wouldDeny(route.rule, error);
        return true;
      }
    }

    function refuse(error: unknown): Outcome {
      const denial = error instanceof Denial ? error : new Denial('internal_error', 'could not decide', { cause: error });
      return done(refusal(denial, request, header('accept')), undefined, error);
    }

    function done(outcome: Outcome, via?: Authentication['via'], error?: unknown): Outcome {
      if (!onDecision && !span) return outcome;
      const event: DecisionEvent = {
        request,
        requestId: requestIdOf(header('x-request-id')),
        ...resultOf(outcome),
        code: outcomeCode(outcome),
        via,
        principal: who?.identity.kind,
        subject: who?.identity.userId,
        cache: who?.cache,
        rule,
        wouldDeny,
        durationMs: performance.now() - started,
        error,
        trace: span?.ids,
      };
      onDecision?.(event);
      span?.end(event);
      return outcome;
    }
  };
}
