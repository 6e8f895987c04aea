import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Answer } from '../decision/answer/answer.js';
import type { AuthDecision } from '../decision/decide.js';
import { createAnswerWriter } from './answer-writer.js';
import { createCheckRequestReader } from './ext-authz-request.js';
import { nodeHeaderReader } from './header-reader.js';
import type { RequestListener } from './listener.js';
import { parseRequestTarget } from './request-target.js';

export interface ExtAuthzListenerOptions {
  decide: AuthDecision;
  /** EXT_AUTHZ_PATH_PREFIX: what the gateway puts before the original path ('' for none). */
  pathPrefix: string;
  /** Every identity header an allow may carry (the built-in ones and CLAIM_HEADERS'). */
  identityHeaderNames: readonly string[];
  /** Client headers for the sidecar alone (the ID token header): an allow has Envoy remove them. */
  sidecarOnlyHeaders: readonly string[];
  /** A decision that rejected or could not be written; it was answered 503. */
  onWriteError?: (error: unknown) => void;
}

// Envoy's ext_authz removes the request headers a 200 names here before passing the request
// upstream (allowed_upstream_headers only SETS those the answer has).
const HEADERS_TO_REMOVE = 'x-envoy-auth-headers-to-remove';

/**
 * An allow names the identity headers it does not carry (no roles, a public route), so that
 * Envoy removes the client's copies of them: allowed_upstream_headers would only overwrite
 * the ones present and let a client-sent X-Authgear-User-Roles through. nginx-based gateways
 * (NGINX Gateway Fabric) set every allowed response header, an absent one as empty, which
 * removes it, and ignore this one. The client's ID token is named too: it is the sidecar's to
 * read, and every shipped proxy config keeps it from the app as well.
 */
function createRemovalNotice(identityHeaderNames: readonly string[], sidecarOnlyHeaders: readonly string[]): (answer: Answer) => Answer {
  const all = [...identityHeaderNames, ...sidecarOnlyHeaders].join(', ');
  return (answer) => {
    if (answer.status !== 200) return answer;
    if (answer.headers.length === 0) return { status: 200, headers: [[HEADERS_TO_REMOVE, all]] };
    const present = new Set(answer.headers.map(([name]) => name));
    const absent = [...identityHeaderNames.filter((name) => !present.has(name)), ...sidecarOnlyHeaders];
    return absent.length === 0 ? answer : { status: 200, headers: [...answer.headers, [HEADERS_TO_REMOVE, absent.join(', ')]] };
  };
}

/**
 * The ext_authz HTTP protocol on its own listener (EXT_AUTHZ_PORT), for Envoy and Gateway
 * API ExternalAuth: every request on it, whatever its path or method, is a question about an
 * app request, so none reaches the sidecar's own routes (/healthz, /metrics, /auth are
 * app paths here, judged by POLICY_FILE like any other). There is no auth URL query.
 */
export function createExtAuthzListener(options: ExtAuthzListenerOptions): RequestListener {
  const { decide } = options;
  const readCheckRequest = createCheckRequestReader(options.pathPrefix);
  const withRemovalNotice = createRemovalNotice(options.identityHeaderNames, options.sidecarOnlyHeaders);
  const answerWith = createAnswerWriter(options.onWriteError);

  return function extAuthzListener(incoming: IncomingMessage, outgoing: ServerResponse): void {
    const target = parseRequestTarget(incoming.url ?? '');
    const header = nodeHeaderReader(incoming, target.authority);
    const answered = decide({ readRequest: () => readCheckRequest(incoming.method, header, target), header, query: '' });
    answerWith(incoming, outgoing, header, answered instanceof Promise ? answered.then(withRemovalNotice) : withRemovalNotice(answered));
  };
}
