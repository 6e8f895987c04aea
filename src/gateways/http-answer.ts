import type { Outcome } from '../decision/question.js';

/** Status and headers of an HTTP answer to a gateway; the writer adds Content-Length: 0. */
export interface Answer {
  status: number;
  headers: ReadonlyArray<readonly [string, string]>;
}

export const REASON_HEADER = 'x-authgear-gate-reason';

/**
 * nginx's auth_request passes WWW-Authenticate on a 401 only; for a 403 the shipped
 * protect.conf copies this header into the client's WWW-Authenticate instead. Sent to nginx
 * alone, and on a 403 alone, so no challenge is ever doubled.
 */
export const FORBIDDEN_CHALLENGE_HEADER = 'x-gate-www-authenticate';

/** How a gateway protocol over HTTP takes what it cannot pass as it is. */
export interface HttpAnswerOptions {
  /**
   * How a browser is sent elsewhere: 302 where the gateway sends any refusal's status to the
   * client as it is (ForwardAuth, Envoy's ext_authz); 401 with the Location for nginx, which
   * turns anything but 2xx, 401 and 403 into a 500 (its config's error_page 401 redirects).
   */
  redirectStatus: 302 | 401;
  /** nginx passes no header of a 403: the challenge goes in FORBIDDEN_CHALLENGE_HEADER too. */
  forbiddenChallengeHeader: boolean;
}

/** An outcome as one HTTP gateway protocol answers it. */
export type HttpAnswers = (outcome: Outcome) => Answer;

/**
 * Every refusal names its reason and is never cached by the gateway; a 503 says when to try
 * again. A denial given to many requests (no credentials at all) is answered from one Answer.
 */
export function createHttpAnswers(options: HttpAnswerOptions): HttpAnswers {
  const refusals = new WeakMap<Outcome, Answer>();
  const closing = (code: string): Array<readonly [string, string]> => [[REASON_HEADER, code], ['cache-control', 'no-store']];

  function refusal(outcome: Exclude<Outcome, { kind: 'allow' }>): Answer {
    if (outcome.kind === 'undecided') return { status: 503, headers: [['retry-after', '5'], ...outcome.denial.headers, ...closing(outcome.denial.code)] };
    const headers: Array<readonly [string, string]> = [];
    if (outcome.challenge !== undefined) headers.push(['www-authenticate', outcome.challenge]);
    if (outcome.kind === 'deny') {
      if (outcome.challenge !== undefined && outcome.denial.status === 403 && options.forbiddenChallengeHeader) headers.push([FORBIDDEN_CHALLENGE_HEADER, outcome.challenge]);
      return { status: outcome.denial.status, headers: [...headers, ...outcome.denial.headers, ...closing(outcome.denial.code)] };
    }
    return { status: options.redirectStatus, headers: [...headers, ...(outcome.denial?.headers ?? []), ['location', outcome.location], ...closing(outcome.code)] };
  }

  return function httpAnswer(outcome) {
    if (outcome.kind === 'allow') return { status: 200, headers: outcome.headers };
    // Only a deny outcome is ever shared between requests (see createRefusal).
    if (outcome.kind !== 'deny') return refusal(outcome);
    let answer = refusals.get(outcome);
    if (answer === undefined) refusals.set(outcome, (answer = refusal(outcome)));
    return answer;
  };
}
