import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { UNDECIDED } from '../decision/question.js';
import type { AuthDecision } from '../decision/question.js';
import type { HeaderReader } from '../decision/request/header-reader.js';
import { createAnswerWriter } from '../gateways/answer-writer.js';
import type { Exchange } from '../gateways/exchange.js';
import type { Answer } from '../gateways/http-answer.js';
import { nodeHeaderReader } from '../gateways/header-reader.js';
import type { RequestTarget } from '../gateways/request-target.js';
import { createAnswerFlush } from './answer-flush.js';
import { sentTarget } from './http-server.js';

/** How a route's gateway turns one request into an exchange. */
export type ExchangeOf = (incoming: HttpBindings['incoming'], header: HeaderReader, target: RequestTarget) => Exchange<Answer>;

/**
 * A Hono handler that asks the decision and writes its answer on Node's own response: the
 * request is read from Node's raw headers and the answer goes to writeHead as a plain list,
 * in the same tick when the decision was synchronous (a known token, the hot path), and
 * leaves with the other answers of this turn of the event loop (answer-flush). Hono is told
 * the answer was sent. A decision that fails, or an answer Node refuses, is undecided.
 */
export function createDecisionRoute(decide: AuthDecision, exchangeOf: ExchangeOf, onWriteError: (error: unknown) => void) {
  const writeAnswer = createAnswerWriter(onWriteError, createAnswerFlush({ onError: onWriteError }));
  return function decisionRoute(c: Context<{ Bindings: HttpBindings }>): Response | Promise<Response> {
    const { incoming, outgoing } = c.env;
    const target = sentTarget(incoming);
    const header = nodeHeaderReader(incoming, target.authority);
    const exchange = exchangeOf(incoming, header, target);
    const undecided = () => exchange.answer(UNDECIDED);
    const write = (answer: Answer) => {
      writeAnswer(incoming, outgoing, header, answer, undecided);
      return RESPONSE_ALREADY_SENT;
    };
    let decided: ReturnType<AuthDecision>;
    try {
      decided = decide(exchange.question);
    } catch (error) {
      onWriteError(error);
      return write(undecided());
    }
    if (!(decided instanceof Promise)) return write(exchange.answer(decided));
    return decided.then(
      (outcome) => write(exchange.answer(outcome)),
      (error: unknown) => {
        onWriteError(error);
        return write(undecided());
      },
    );
  };
}
