import type { OutcomeCode } from '../outcome.js';

/**
 * Status and headers of the answer to a gateway's question, protocol-neutral; each gateway
 * writer adds its framing (Content-Length: 0 for HTTP).
 */
export interface Answer {
  status: number;
  headers: ReadonlyArray<readonly [string, string]>;
}

export const REASON_HEADER = 'x-authgear-gate-reason';

/** Every refusal names its reason and is never cached by the gateway. */
export const withReasonCode = (answer: Answer, code: OutcomeCode): Answer => ({
  status: answer.status,
  headers: [...answer.headers, [REASON_HEADER, code], ['cache-control', 'no-store']],
});
