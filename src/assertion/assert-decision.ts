import type { AuthDecision, Outcome } from '../decision/question.js';
import { hostnameOf } from '../decision/request/original-request.js';
import type { HeadersWithAssertion } from './assertion-cache.js';

export interface AssertingOptions {
  /** ASSERTION_AUDIENCE; undefined: the host of each original request, without its port. */
  audience: string | undefined;
  headersWithAssertion: HeadersWithAssertion;
}

type Allowed = Extract<Outcome, { kind: 'allow' }>;

/** The allow with these headers: written out, which costs less than a spread on the hot path. */
const signedAllow = (outcome: Allowed, headers: Allowed['headers']): Outcome => ({ kind: 'allow', code: outcome.code, headers, authentication: outcome.authentication, rule: outcome.rule });

/**
 * The decision, with the signed assertion added to every allow that proved an identity
 * (`allowed`): its headers are the identity's plus X-Authgear-Gate-Assertion. A public route
 * or a CORS preflight proves nobody, so it gets none; refusals are left as they are. Still
 * synchronous whenever the decision was and the assertion is known.
 */
export function assertDecisions(decide: AuthDecision, options: AssertingOptions): AuthDecision {
  const { audience, headersWithAssertion } = options;

  function asserted(outcome: Outcome, host: string | undefined): Outcome | Promise<Outcome> {
    if (outcome.kind !== 'allow' || outcome.code !== 'allowed' || outcome.authentication === undefined) return outcome;
    // An identity was proved for a request the decision read: never an allow without its host.
    if (audience === undefined && host === undefined) throw new Error('an allow without the original request\'s host');
    const headers = headersWithAssertion(outcome.authentication, audience ?? hostnameOf(host!), outcome.rule);
    return headers instanceof Promise ? headers.then((all) => signedAllow(outcome, all)) : signedAllow(outcome, headers);
  }

  if (audience !== undefined) {
    return function decideAndAssert(question) {
      const decided = decide(question);
      return decided instanceof Promise ? decided.then((outcome) => asserted(outcome, undefined)) : asserted(decided, undefined);
    };
  }
  // The audience is the host the decision judged: read once, by the decision itself.
  return function decideAndAssertForHost(question) {
    let host: string | undefined;
    const readRequest = () => {
      const request = question.readRequest();
      host = request.host;
      return request;
    };
    const decided = decide({ readRequest, header: question.header, query: question.query });
    return decided instanceof Promise ? decided.then((outcome) => asserted(outcome, host)) : asserted(decided, host);
  };
}
