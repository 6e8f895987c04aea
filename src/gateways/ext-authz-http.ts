import type { HeaderReader } from '../decision/request/header-reader.js';
import type { OriginalRequest } from '../decision/request/original-request.js';
import type { Exchange } from './exchange.js';
import { createCheckRequestReader } from './ext-authz-request.js';
import { createHttpAnswers, type Answer } from './http-answer.js';
import type { RequestTarget } from './request-target.js';

export interface ExtAuthzGatewayOptions {
  /** EXT_AUTHZ_PATH_PREFIX: what the gateway puts before the original path ('' for none). */
  pathPrefix: string;
  /** Every identity header an allow may carry (the built-in ones and CLAIM_HEADERS'). */
  identityHeaderNames: readonly string[];
  /** Client headers an allow always has Envoy remove (the ID token header, routing headers). */
  removedOnAllow: readonly string[];
}

// Envoy's ext_authz removes the request headers a 200 names here before passing the request
// upstream (allowed_upstream_headers only SETS those the answer has).
const HEADERS_TO_REMOVE = 'x-envoy-auth-headers-to-remove';

/**
 * An allow names the identity headers it does not carry (no roles, a public route), so that
 * Envoy removes the client's copies of them: allowed_upstream_headers would only overwrite
 * the ones present and let a client-sent X-Authgear-User-Roles through. nginx-based gateways
 * (NGINX Gateway Fabric) set every allowed response header, an absent one as empty, which
 * removes it, and ignore this one. The client's ID token and routing headers are named too.
 */
function createRemovalNotice(identityHeaderNames: readonly string[], removedOnAllow: readonly string[]): (answer: Answer) => Answer {
  const all = [...identityHeaderNames, ...removedOnAllow].join(', ');
  const noticed = new WeakMap<Answer['headers'], Answer>();
  return (answer) => {
    if (answer.status !== 200) return answer;
    if (answer.headers.length === 0) return { status: 200, headers: [[HEADERS_TO_REMOVE, all]] };
    // An identity's headers are the same array request after request: its notice is too.
    let noticedAnswer = noticed.get(answer.headers);
    if (noticedAnswer === undefined) {
      const present = new Set(answer.headers.map(([name]) => name));
      const absent = [...identityHeaderNames.filter((name) => !present.has(name)), ...removedOnAllow];
      noticedAnswer = absent.length === 0 ? answer : { status: 200, headers: [...answer.headers, [HEADERS_TO_REMOVE, absent.join(', ')]] };
      noticed.set(answer.headers, noticedAnswer);
    }
    return noticedAnswer;
  };
}

/** The ext_authz exchange of one check request. */
export type ExtAuthzGateway = (method: string | undefined, header: HeaderReader, target: RequestTarget) => Exchange<Answer>;

/**
 * Envoy's ext_authz over HTTP and Gateway API ExternalAuth, on their own listener: every
 * request there is a question about an app request (no auth URL query). Envoy sends any
 * refusal's status to the client as it is, so a browser's login is a 302; NGINX Gateway
 * Fabric's form is an nginx auth_request, which takes it as a 401 with its Location.
 */
export function createExtAuthzGateway(options: ExtAuthzGatewayOptions): ExtAuthzGateway {
  const readCheckRequest = createCheckRequestReader(options.pathPrefix);
  const withRemovalNotice = createRemovalNotice(options.identityHeaderNames, options.removedOnAllow);
  const envoy = createHttpAnswers({ redirectStatus: 302, forbiddenChallengeHeader: false });
  const nginxGatewayFabric = createHttpAnswers({ redirectStatus: 401, forbiddenChallengeHeader: false });
  return function extAuthzExchange(method, header, target) {
    let protocol: OriginalRequest['protocol'] = 'ext-authz';
    const readRequest = () => {
      const request = readCheckRequest(method, header, target);
      protocol = request.protocol;
      return request;
    };
    return {
      question: { readRequest, header, query: '' },
      answer: (outcome) => withRemovalNotice((protocol === 'ext-authz-nginx' ? nginxGatewayFabric : envoy)(outcome)),
    };
  };
}
