import type { Exchange } from '../exchange.js';
import { createHttpAnswers } from '../http-answer.js';
import { checkRequestQuestion } from './check-request.js';
import { createCheckResponder, type CheckResponseOptions } from './check-response.js';
import type { CheckRequest, CheckResponse } from './envoy-auth-messages.js';

/** The ext_authz gRPC exchange of one CheckRequest (undefined: bytes that were none). */
export type CheckExchange = (request: CheckRequest | undefined) => Exchange<CheckResponse>;

/**
 * Envoy's ext_authz over gRPC: the question is the CheckRequest's, the outcome is a
 * CheckResponse. Envoy passes a denied response to the client as it is, so a browser's login
 * is a 302, as over HTTP.
 */
export function createCheckExchange(options: CheckResponseOptions): CheckExchange {
  const answers = createHttpAnswers({ redirectStatus: 302, forbiddenChallengeHeader: false });
  const respond = createCheckResponder(options);
  return (request) => ({ question: checkRequestQuestion(request), answer: (outcome) => respond(answers(outcome)) });
}
