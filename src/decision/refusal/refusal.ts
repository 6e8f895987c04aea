import { Denial } from '../outcome.js';
import type { Outcome } from '../question.js';
import type { OriginalRequest } from '../request/original-request.js';
import { prefersHtml } from './accept.js';
import { bearerChallenge } from './challenge.js';
import type { LoginRedirect } from './login/login-redirect.js';

export interface RefusalOptions {
  realm: string;
  login: LoginRedirect | undefined;
}

// Logging in again cannot fix a request that is itself broken.
const NOT_FIXED_BY_LOGIN = new Set<Denial['code']>(['request_malformed', 'credentials_malformed', 'token_too_large']);

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

/** A refusal as an outcome: undecided (503), denied with its challenge, or a browser sent to log in. */
export type Refusal = (denial: Denial, request: OriginalRequest | undefined, accept: string | undefined) => Outcome;

/**
 * What a refusal means, whatever the gateway: the RFC 6750 / RFC 9470 challenge, and for a
 * browser (its Accept prefers HTML) whose refusal a login fixes, Authgear's login page. A
 * refusal built once and given to many requests (no credentials at all) has its challenge
 * and outcome built once too.
 */
export function createRefusal(options: RefusalOptions): Refusal {
  const challenges = new WeakMap<Denial, string | undefined>();
  const denied = new WeakMap<Denial, Outcome>();
  const challengeOf = (denial: Denial) => {
    if (challenges.has(denial)) return challenges.get(denial);
    const challenge = challengeFor(denial, options.realm);
    challenges.set(denial, challenge);
    return challenge;
  };
  return function refusal(denial, request, accept) {
    if (denial.status === 503) return { kind: 'undecided', denial };
    const challenge = challengeOf(denial);
    if (options.login && request && denial.status === 401 && !NOT_FIXED_BY_LOGIN.has(denial.code) && prefersHtml(accept)) {
      const location = options.login.loginUrl(request, denial.maxAge);
      if (location !== undefined) return { kind: 'redirect', code: denial.code, location, denial, challenge };
    }
    let outcome = denied.get(denial);
    if (outcome === undefined) denied.set(denial, (outcome = { kind: 'deny', denial, challenge }));
    return outcome;
  };
}
