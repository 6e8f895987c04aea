import type { Context, Handler } from 'hono';
import type { AuthDecision } from './auth-decision.js';
import type { Answer } from './denial-answer.js';
import { emptyResponse } from './empty-response.js';
import { requestHeaders } from './request-headers.js';

const queryOf = (url: string): string => {
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at + 1);
};

const toResponse = (answer: Answer): Response => emptyResponse(answer.status, answer.headers);

/**
 * /auth as a Hono route, for app.request() and any server that speaks Fetch. The shipped
 * server answers /auth through node-listener.ts instead; both ask the same decision.
 */
export function createAuthRoute(decide: AuthDecision): Handler {
  return function authRoute(c: Context) {
    const answered = decide({ header: requestHeaders(c), query: queryOf(c.req.url) });
    // Synchronous when the decision is: node-server then answers without a microtask.
    return answered instanceof Promise ? answered.then(toResponse) : toResponse(answered);
  };
}
