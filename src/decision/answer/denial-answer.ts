import { Denial } from '../outcome.js';
import type { LoginRedirect } from './login/login-redirect.js';
import type { OriginalRequest } from '../request/original-request.js';
import { prefersHtml } from './accept.js';
import type { Answer } from './answer.js';
import { bearerChallenge } from './challenge.js';

export interface DenialAnswerOptions {
  realm: string;
  login: LoginRedirect | undefined;
}

// Logging in again cannot fix a request that is itself broken.
const NOT_FIXED_BY_LOGIN = new Set<Denial['code']>(['request_malformed', 'credentials_malformed', 'token_too_large']);

/**
 * nginx's auth_request passes WWW-Authenticate on a 401 only; for a 403 the shipped
 * protect.conf copies this header into the client's WWW-Authenticate instead. Sent to nginx
 * alone, and on a 403 alone, so no challenge is ever doubled.
 */
export const FORBIDDEN_CHALLENGE_HEADER = 'x-gate-www-authenticate';

function challengeFor(denial: Denial, realm: string): string | undefined {
  // RFC 6750 3.1: a valid token without the scope the route needs.
  if (denial.code === 'insufficient_scope') return bearerChallenge({ realm, error: 'insufficient_scope', errorDescription: denial.message, scope: denial.scope });
  if (denial.status !== 401) return undefined;
  if (denial.code === 'credentials_missing') return bearerChallenge({ realm });
  // RFC 9470: the credentials are fine, the login behind them is not recent enough.
  if (denial.maxAge !== undefined) {
    return bearerChallenge({ realm, error: 'insufficient_user_authentication', errorDescription: denial.message, maxAge: denial.maxAge });
  }
  const error = denial.code === 'credentials_malformed' || denial.code === 'request_malformed' ? 'invalid_request' : 'invalid_token';
  return bearerChallenge({ realm, error, errorDescription: denial.message });
}

// The protocols whose gateway sends any denial's status to the client as it is.
const PASSES_REDIRECTS = new Set<OriginalRequest['protocol']>(['forward-auth', 'ext-authz']);

/**
 * A redirect in the form each gateway can pass on: ForwardAuth and Envoy's ext_authz send a
 * 3xx to the client as it is; nginx turns anything but 2xx/401/403 into a 500, so it gets a
 * 401 whose Location the example config turns into the redirect (error_page 401 = @authgear_login).
 */
export function redirectAnswer(request: OriginalRequest, location: string): Answer {
  return { status: PASSES_REDIRECTS.has(request.protocol) ? 302 : 401, headers: [['location', location]] };
}

export type DenialAnswer = (denial: Denial, request: OriginalRequest | undefined, accept: string | undefined) => Answer;

/**
 * Status and headers of a refusal: the challenge, and for a browser the way to Authgear's
 * login page. A refusal built once and given to many requests (no credentials at all) has
 * its challenge built once too.
 */
export function createDenialAnswer(options: DenialAnswerOptions): DenialAnswer {
  const challenges = new WeakMap<Denial, string | undefined>();
  const challengeOf = (denial: Denial) => {
    if (challenges.has(denial)) return challenges.get(denial);
    const challenge = challengeFor(denial, options.realm);
    challenges.set(denial, challenge);
    return challenge;
  };
  return function denialAnswer(denial, request, accept) {
    const headers: Array<readonly [string, string]> = [];
    const challenge = challengeOf(denial);
    if (challenge) headers.push(['www-authenticate', challenge]);
    if (challenge && denial.status === 403 && request?.protocol === 'nginx') headers.push([FORBIDDEN_CHALLENGE_HEADER, challenge]);
    if (denial.status === 503) headers.push(['retry-after', '5']);
    headers.push(...denial.headers);
    if (options.login && request && denial.status === 401 && !NOT_FIXED_BY_LOGIN.has(denial.code) && prefersHtml(accept)) {
      const location = options.login.loginUrl(request, denial.maxAge);
      if (location !== undefined) {
        const redirect = redirectAnswer(request, location);
        return { status: redirect.status, headers: [...headers, ...redirect.headers] };
      }
    }
    return { status: denial.status, headers };
  };
}
