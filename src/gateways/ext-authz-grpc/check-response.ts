import { REASON_HEADER, type Answer } from '../http-answer.js';
import { OVERWRITE_IF_EXISTS_OR_ADD, RPC_CODE, type CheckResponse, type HeaderValueOption } from './envoy-auth-messages.js';

export interface CheckResponseOptions {
  /**
   * Headers only this service may set upstream (the identity headers and CLAIM_HEADERS'):
   * removed from the app's request whenever an allow does not set them.
   */
  trustedHeaders: readonly string[];
  /** Client headers an allow always removes from the app's request (the ID token header, routing headers). */
  removedOnAllow: readonly string[];
}

/**
 * google.rpc.Status of a denial. Envoy only tells OK from not OK, and lets the denied
 * response's status reach the client; the code is for logs and other clients.
 */
function rpcCode(status: number): number {
  if (status === 401 || status === 302) return RPC_CODE.UNAUTHENTICATED;
  if (status === 503) return RPC_CODE.UNAVAILABLE;
  return RPC_CODE.PERMISSION_DENIED;
}

/**
 * The first copy of a name replaces whatever the request or local reply has (`append: false`,
 * which every Envoy version reads, and its successor `append_action`); further copies of the
 * same name (two Set-Cookie) are added beside it.
 */
function headerOptions(headers: Answer['headers']): HeaderValueOption[] {
  const seen = new Set<string>();
  return headers.map(([key, value]) => {
    if (seen.has(key)) return { header: { key, value } };
    seen.add(key);
    return { header: { key, value }, append: { value: false }, append_action: OVERWRITE_IF_EXISTS_OR_ADD };
  });
}

/**
 * Answers to CheckResponses. An allow sets the identity headers on the app's request and
 * removes every trusted header it does not set, so a client-sent copy never reaches the app
 * (any other client `x-authgear-*` was refused by the decision), and the client's ID token
 * and routing headers.
 * Every refusal, 503 included, is a denied_response, never a failed call: a failed call is
 * what Envoy's `failure_mode_allow` lets through, a denial never is.
 */
export function createCheckResponder(options: CheckResponseOptions): (answer: Answer) => CheckResponse {
  const removable = [...new Set([...options.trustedHeaders, ...options.removedOnAllow].map((name) => name.toLowerCase()))];

  return function checkResponse(answer) {
    if (answer.status === 200) {
      const set = new Set(answer.headers.map(([name]) => name));
      return {
        status: { code: RPC_CODE.OK, message: '' },
        ok_response: { headers: headerOptions(answer.headers), headers_to_remove: removable.filter((name) => !set.has(name)) },
      };
    }
    const reason = answer.headers.find(([name]) => name === REASON_HEADER)?.[1] ?? 'denied';
    return {
      status: { code: rpcCode(answer.status), message: reason },
      denied_response: { status: { code: answer.status }, headers: headerOptions(answer.headers), body: '' },
    };
  };
}
