import type { Authentication, Authenticator } from '../authenticator.js';
import { createCredentialReader, type CredentialOptions } from '../credentials.js';
import { Denial } from '../errors.js';
import type { LoginRedirect } from '../login/login-redirect.js';
import { readOriginalRequest, type GatewayProtocol, type OriginalRequest } from '../original-request.js';
import { admitWithoutAuthentication, type Authorize } from '../policy/authorize.js';
import type { RequirementLookup } from '../policy/route-requirements.js';
import { denialAnswer, redirectAnswer, type Answer } from './denial-answer.js';
import { createForgedHeaderCheck } from './forged-headers.js';
import type { HeaderReader } from './request-headers.js';

export const REASON_HEADER = 'x-authgear-gate-reason';

export interface DecisionEvent {
  request: OriginalRequest | undefined;
  requestId: string | undefined;
  status: number;
  allowed: boolean;
  code: string;
  via: Authentication['via'] | undefined;
  /** The policy rule that applied, if a policy file or an auth URL query is in use. */
  rule: string | undefined;
  durationMs: number;
  error: unknown;
}

/** What /auth is asked: the gateway's headers, and the auth URL's own query (per-location requirements). */
export interface AuthQuestion {
  header: HeaderReader;
  query: string;
}

/**
 * Status and headers of the answer to /auth, with Content-Length: 0 added by whoever writes
 * it. Synchronous whenever nothing had to be awaited (a known token or session): the writer
 * then answers in the same tick, with no promise allocated.
 */
export type AuthDecision = (question: AuthQuestion) => Answer | Promise<Answer>;

export interface AuthDecisionOptions {
  authenticator: Authenticator;
  credentials: CredentialOptions;
  realm: string;
  gateway?: GatewayProtocol;
  requirementsFor: RequirementLookup;
  authorize: Authorize;
  /** Where routes whose freshness comes from an ID token find it. */
  idTokenHeader: string;
  /** Browser login; undefined when LOGIN_REDIRECT_URI is not set. */
  login: LoginRedirect | undefined;
  now: () => number;
  onDecision?: (event: DecisionEvent) => void;
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Every refusal names its reason and is never cached by the gateway. */
const withReasonCode = (result: Answer, code: string): Answer => ({
  status: result.status,
  headers: [...result.headers, [REASON_HEADER, code], ['cache-control', 'no-store']],
});

/** The answer when not even a decision could be written: the same 503 a broken decision gets. */
export const UNDECIDED: Answer = withReasonCode(
  denialAnswer(new Denial('internal_error', 'could not decide'), undefined, undefined, { realm: '', login: undefined }),
  'internal_error',
);

/**
 * The /auth decision: original request -> route requirements -> authentication -> policy.
 * Anything unexpected becomes a 503, because we only allow what we proved. It knows nothing
 * of HTTP servers: auth-route.ts answers it through Hono, node-listener.ts straight to Node.
 */
export function createAuthDecision(options: AuthDecisionOptions): AuthDecision {
  const { authenticator, requirementsFor, authorize, login, onDecision, gateway = 'auto' } = options;
  const readCredentials = createCredentialReader(options.credentials);
  const answerOptions = { realm: options.realm, login };
  const idTokenHeader = options.idTokenHeader.toLowerCase();
  const refuseForgedHeaders = createForgedHeaderCheck({ idTokenHeader });

  return function decideAuth({ header, query }: AuthQuestion) {
    const started = performance.now();
    let request: OriginalRequest | undefined;
    let rule: string | undefined;
    try {
      const decided = decide();
      return decided instanceof Promise ? decided.catch(deny) : decided;
    } catch (error) {
      return deny(error);
    }

    function decide(): Answer | Promise<Answer> {
      request = readOriginalRequest(header, gateway);
      refuseForgedHeaders(header);
      const returnTo = login?.callbackTarget(request);
      if (returnTo !== undefined) return answer(redirectAnswer(request, returnTo), 'login_callback');
      const route = requirementsFor(request, query);
      const { requirements } = route;
      rule = route.rule;
      if (admitWithoutAuthentication(requirements, request, () => header('access-control-request-method') !== undefined)) {
        return answer({ status: 200, headers: [] }, requirements.access === 'public' ? 'public' : 'cors_preflight');
      }
      const authenticated = authenticator.authenticate(
        request,
        readCredentials(header('authorization'), header('cookie')),
        requirements.mode ? { mode: requirements.mode } : undefined,
      );
      const idToken = requirements.freshnessFrom === 'id_token' ? header(idTokenHeader) : undefined;
      const authorizeThenAllow = (authentication: Authentication): Answer | Promise<Answer> => {
        const pending = authorize(authentication.identity, requirements, options.now(), idToken);
        const allow = () => answer({ status: 200, headers: authentication.headers }, 'allowed', authentication.via);
        return pending ? pending.then(allow) : allow();
      };
      return authenticated instanceof Promise ? authenticated.then(authorizeThenAllow) : authorizeThenAllow(authenticated);
    }

    function deny(error: unknown): Answer {
      const denial = error instanceof Denial ? error : new Denial('internal_error', 'could not decide', { cause: error });
      return answer(denialAnswer(denial, request, header('accept'), answerOptions), denial.code, undefined, error);
    }

    function answer(result: Answer, code: string, via?: Authentication['via'], error?: unknown): Answer {
      emit(result.status, code, via, error);
      return result.status === 200 ? result : withReasonCode(result, code);
    }

    function emit(status: number, code: string, via: Authentication['via'] | undefined, error: unknown) {
      if (!onDecision) return;
      const requestId = header('x-request-id');
      onDecision({
        request,
        requestId: requestId && REQUEST_ID.test(requestId) ? requestId : undefined,
        status,
        allowed: status === 200,
        code,
        via,
        rule,
        durationMs: performance.now() - started,
        error,
      });
    }
  };
}
