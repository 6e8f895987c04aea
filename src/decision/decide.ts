import type { HeaderReader } from './request/header-reader.js';
import { withReasonCode, type Answer } from './answer/answer.js';
import { createDenialAnswer, redirectAnswer } from './answer/denial-answer.js';
import type { LoginRedirect } from './answer/login/login-redirect.js';
import type { Authentication, Authenticator } from './authentication/authenticator.js';
import { createCredentialReader, type CredentialOptions } from './credentials/credentials.js';
import type { PrincipalKind } from './identity/identity.js';
import { Denial, type OutcomeCode } from './outcome.js';
import { admitWithoutAuthentication, type Authorize } from './policy/authorize.js';
import type { Requirements } from './policy/requirements.js';
import type { RequirementLookup, RouteRequirements } from './policy/route-requirements.js';
import type { OriginalRequest } from './request/original-request.js';
import { createHeaderScreen } from './request/header-screen.js';
import { overriddenMethods } from './request/method-override.js';
import { requestIdOf } from './request/request-id.js';

export interface DecisionEvent {
  request: OriginalRequest | undefined;
  requestId: string | undefined;
  status: number;
  allowed: boolean;
  code: OutcomeCode;
  via: Authentication['via'] | undefined;
  /** Who authenticated (also on a refusal that came after), undefined when nobody did. */
  principal: PrincipalKind | undefined;
  /** The policy rule that applied, if a policy file or an auth URL query is in use. */
  rule: string | undefined;
  durationMs: number;
  error: unknown;
}

/**
 * What a gateway asks, as its protocol's reader (gateways/) presents it: how to read the
 * original request, the headers the client sent, and the auth URL's own query
 * (per-location requirements; '' when the protocol has none).
 */
export interface AuthQuestion {
  /** The normalized original request; throws a Denial when the protocol's headers do not describe one. */
  readRequest: () => OriginalRequest;
  header: HeaderReader;
  query: string;
}

/**
 * The answer to a gateway's question. Synchronous whenever nothing had to be awaited (a
 * known token or session): the writer then answers in the same tick, with no promise.
 */
export type AuthDecision = (question: AuthQuestion) => Answer | Promise<Answer>;

export interface AuthDecisionOptions {
  authenticator: Authenticator;
  credentials: CredentialOptions;
  realm: string;
  requirementsFor: RequirementLookup;
  authorize: Authorize;
  /** Where routes whose freshness comes from an ID token find it. */
  idTokenHeader: string;
  /** Browser login; undefined when LOGIN_REDIRECT_URI is not set. */
  login: LoginRedirect | undefined;
  now: () => number;
  onDecision?: (event: DecisionEvent) => void;
}

/** The answer when not even a decision could be written: the same 503 a broken decision gets. */
export const UNDECIDED: Answer = withReasonCode(
  createDenialAnswer({ realm: '', login: undefined })(new Denial('internal_error', 'could not decide'), undefined, undefined),
  'internal_error',
);

/**
 * The one decision: original request -> route requirements -> credentials ->
 * authentication -> policy -> answer. Anything unexpected becomes a 503, because we only
 * allow what we proved. It knows nothing of transports: gateways/ reads and writes for it.
 */
export function createAuthDecision(options: AuthDecisionOptions): AuthDecision {
  const { authenticator, requirementsFor, authorize, login, onDecision } = options;
  const readCredentials = createCredentialReader(options.credentials);
  const denialAnswer = createDenialAnswer({ realm: options.realm, login });
  const idTokenHeader = options.idTokenHeader.toLowerCase();
  const screenHeaders = createHeaderScreen({ idTokenHeader });

  return function decideAuth({ readRequest, header, query }: AuthQuestion) {
    const started = performance.now();
    let request: OriginalRequest | undefined;
    let rule: string | undefined;
    let principal: PrincipalKind | undefined;
    try {
      const decided = decide();
      return decided instanceof Promise ? decided.catch(deny) : decided;
    } catch (error) {
      return deny(error);
    }

    function decide(): Answer | Promise<Answer> {
      const original = (request = readRequest());
      const { methodOverride } = screenHeaders(header);
      const returnTo = login?.callbackTarget(original);
      if (returnTo !== undefined) return answer(redirectAnswer(original, returnTo), 'login_callback');
      const route = requirementsFor(original, query);
      rule = route.rule;
      // The app may take the request for another method (an override header or `_method`):
      // it passes only if it would pass as each of them.
      const judged: Array<{ route: RouteRequirements; as: OriginalRequest }> = [{ route, as: original }];
      for (const method of overriddenMethods(original, header, methodOverride)) {
        const as = { ...original, method };
        judged.push({ route: requirementsFor(as, query), as });
      }
      const isPreflight = () => header('access-control-request-method') !== undefined;
      const toAuthenticate = judged.filter((each) => {
        rule = each.route.rule;
        return !admitWithoutAuthentication(each.route.requirements, each.as, isPreflight);
      });
      rule = route.rule;
      if (toAuthenticate.length === 0) return answer({ status: 200, headers: [] }, route.requirements.access === 'public' ? 'public' : 'cors_preflight');
      const credentials = readCredentials(header('authorization'), header('cookie'));
      let first: Authentication | undefined;
      let last: { mode: Requirements['mode']; authentication: Authentication } | undefined;

      const judgeFrom = (index: number): Answer | Promise<Answer> => {
        if (index === toAuthenticate.length) {
          rule = route.rule;
          return answer({ status: 200, headers: first!.headers }, 'allowed', first!.via);
        }
        const { requirements } = toAuthenticate[index]!.route;
        rule = toAuthenticate[index]!.route.rule;
        const authorizeThenNext = (authentication: Authentication): Answer | Promise<Answer> => {
          first ??= authentication;
          last = { mode: requirements.mode, authentication };
          principal = authentication.identity.kind;
          const idToken = requirements.freshnessFrom === 'id_token' ? header(idTokenHeader) : undefined;
          const pending = authorize(authentication, requirements, options.now(), idToken);
          return pending ? pending.then(() => judgeFrom(index + 1)) : judgeFrom(index + 1);
        };
        // Routes of one mode share one authentication.
        if (last && last.mode === requirements.mode) return authorizeThenNext(last.authentication);
        const authenticated = authenticator.authenticate(original, credentials, requirements.mode ? { mode: requirements.mode } : undefined);
        if (authenticated instanceof Denial) return deny(authenticated);
        return authenticated instanceof Promise ? authenticated.then(authorizeThenNext) : authorizeThenNext(authenticated);
      };
      return judgeFrom(0);
    }

    function deny(error: unknown): Answer {
      const denial = error instanceof Denial ? error : new Denial('internal_error', 'could not decide', { cause: error });
      return answer(denialAnswer(denial, request, header('accept')), denial.code, undefined, error);
    }

    function answer(result: Answer, code: OutcomeCode, via?: Authentication['via'], error?: unknown): Answer {
      emit(result.status, code, via, error);
      return result.status === 200 ? result : withReasonCode(result, code);
    }

    function emit(status: number, code: OutcomeCode, via: Authentication['via'] | undefined, error: unknown) {
      if (!onDecision) return;
      onDecision({
        request,
        requestId: requestIdOf(header('x-request-id')),
        status,
        allowed: status === 200,
        code,
        via,
        principal,
        rule,
        durationMs: performance.now() - started,
        error,
      });
    }
  };
}
