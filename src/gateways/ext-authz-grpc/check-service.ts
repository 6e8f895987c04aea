import { UNDECIDED, type AuthDecision, type Outcome } from '../../decision/question.js';
import { createCheckExchange } from './check-exchange.js';
import type { CheckResponseOptions } from './check-response.js';
import type { CheckRequest, CheckResponse } from './envoy-auth-messages.js';

export interface CheckServiceOptions extends CheckResponseOptions {
  decide: AuthDecision;
  /** A decision that rejected; it was answered 503. */
  onWriteError?: (error: unknown) => void;
  /** A decision still running at the caller's deadline; it was answered 503. */
  onDeadline?: () => void;
}

/**
 * How long before the caller's deadline an undecided answer is sent: it must still travel
 * back, and the deadline was measured from when the call arrived, not when it was sent.
 */
const deadlineMargin = (budgetMs: number) => Math.min(100, Math.max(20, budgetMs / 10));

/**
 * One Check: the CheckRequest (undefined: undecodable bytes) and the caller's deadline in
 * epoch ms (Infinity: none) to a CheckResponse. A decision still running when the deadline
 * is near is answered as undecided (503, a denial): a call that merely timed out would be an
 * error, which Envoy's `failure_mode_allow` lets through.
 */
export type CheckService = (request: CheckRequest | undefined, deadline: number) => CheckResponse | Promise<CheckResponse>;

export function createCheckService(options: CheckServiceOptions): CheckService {
  const { decide, onWriteError, onDeadline } = options;
  const exchangeOf = createCheckExchange(options);

  return function check(request, deadline) {
    const exchange = exchangeOf(request);
    const toResponse = (outcome: Outcome) => exchange.answer(outcome);
    const undecided = (error: unknown) => {
      onWriteError?.(error);
      return toResponse(UNDECIDED);
    };
    let answered: ReturnType<AuthDecision>;
    try {
      answered = decide(exchange.question);
    } catch (error) {
      return undecided(error);
    }
    if (!(answered instanceof Promise)) return toResponse(answered);
    const decided = answered.then(toResponse).catch(undecided);
    if (!Number.isFinite(deadline)) return decided;
    return new Promise<CheckResponse>((resolve) => {
      const timer = setTimeout(() => {
        onDeadline?.();
        resolve(toResponse(UNDECIDED));
      }, Math.max(0, deadline - Date.now() - deadlineMargin(deadline - Date.now())));
      void decided.then((response) => {
        clearTimeout(timer);
        resolve(response);
      });
    });
  };
}
