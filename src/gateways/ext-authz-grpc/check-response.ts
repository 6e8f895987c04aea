import { REASON_HEADER, type Answer } from '../../decision/answer/answer.js';
import { OVERWRITE_IF_EXISTS_OR_ADD, RPC_CODE, type CheckResponse, type HeaderValueOption } from './envoy-auth-messages.js';

export interface CheckResponseOptions {
  /**
   * Headers only this service may set upstream (the identity headers and CLAIM_HEADERS'):
   * removed from the app's request whenever an allow does not set them.
   */
  trustedHeaders: readonly string[];
  /** A client header with this prefix that an allow does not set is removed too. */
  trustedPrefix: string;
  /** Client headers for the sidecar alone (the ID token header): an allow removes them from the app's request. */
  sidecarOnlyHeaders: readonly string[];
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
 * removes every trusted header it does not set, so a client-sent copy never reaches the app,
 * and the client's ID token, which is the sidecar's to read (as every shipped proxy config
 * removes it too).
 * Every refusal, 503 included, is a denied_response, never a failed call: a failed call is
 * what Envoy's `failure_mode_allow` lets through, a denial never is.
 */
export function createCheckResponder(options: CheckResponseOptions): (answer: Answer, clientHeaders: Iterable<string>) => CheckResponse {
  const trusted = [...options.trustedHeaders, ...options.sidecarOnlyHeaders].map((name) => name.toLowerCase());
  const prefix = options.trustedPrefix.toLowerCase();

  function removals(set: ReadonlySet<string>, clientHeaders: Iterable<string>): string[] {
    const remove = new Set(trusted);
    for (const name of clientHeaders) if (name.startsWith(prefix)) remove.add(name);
    return [...remove].filter((name) => !set.has(name));
  }

  return function checkResponse(answer, clientHeaders) {
    if (answer.status === 200) {
      const set = new Set(answer.headers.map(([name]) => name));
      return {
        status: { code: RPC_CODE.OK, message: '' },
        ok_response: { headers: headerOptions(answer.headers), headers_to_remove: removals(set, clientHeaders) },
      };
    }
    const reason = answer.headers.find(([name]) => name === REASON_HEADER)?.[1] ?? 'denied';
    return {
      status: { code: rpcCode(answer.status), message: reason },
      denied_response: { status: { code: answer.status }, headers: headerOptions(answer.headers), body: '' },
    };
  };
}
