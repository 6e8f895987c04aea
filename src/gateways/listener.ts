import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Answer } from '../decision/answer/answer.js';
import { UNDECIDED, type AuthDecision } from '../decision/decide.js';
import { readOriginalRequest, type GatewayProtocol } from '../decision/request/original-request.js';
import { nodeHeaderReader } from './header-reader.js';
import { parseRequestTarget } from './request-target.js';

export type RequestListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void;

export interface GateListenerOptions {
  decide: AuthDecision;
  /** Which headers describe the original request (GATEWAY). */
  gateway: GatewayProtocol;
  /** The sidecar's own routes (health, readiness, metrics, not found). */
  ops: (incoming: IncomingMessage, outgoing: ServerResponse) => unknown;
  /** A decision that rejected or could not be written; it was answered 503. */
  onWriteError?: (error: unknown) => void;
}

const AUTH_PATH = '/auth';

/** Node's flat header list ([name, value, name, value, ...]), the documented writeHead form. */
function flatHeaders(headers: Answer['headers']): string[] {
  const flat = ['content-length', '0'];
  for (const [name, value] of headers) flat.push(name, value);
  return flat;
}

/**
 * The one transport of /auth, for nginx auth_request and ForwardAuth (Traefik, Caddy): from
 * Node's parsed request straight to writeHead, with Content-Length: 0 so the gateway can
 * reuse the connection. Every other path goes to the ops routes. Production and every test
 * answer /auth through this listener.
 */
export function createGateListener({ decide, gateway, ops, onWriteError }: GateListenerOptions) {
  function write(outgoing: ServerResponse, answer: Answer) {
    try {
      outgoing.writeHead(answer.status, flatHeaders(answer.headers));
    } catch (error) {
      // Node refused a header we built: fail closed.
      onWriteError?.(error);
      outgoing.writeHead(UNDECIDED.status, flatHeaders(UNDECIDED.headers));
    }
    outgoing.end();
  }
  const fail = (outgoing: ServerResponse) => (error: unknown) => {
    onWriteError?.(error);
    write(outgoing, UNDECIDED);
  };

  return function gateListener(incoming: IncomingMessage, outgoing: ServerResponse): void {
    const target = parseRequestTarget(incoming.url ?? '');
    if (target.path !== AUTH_PATH) {
      void ops(incoming, outgoing);
      return;
    }
    const header = nodeHeaderReader(incoming, target.authority);
    const answered = decide({ readRequest: () => readOriginalRequest(header, gateway), header, query: target.query });
    if (answered instanceof Promise) answered.then((answer) => write(outgoing, answer), fail(outgoing));
    else write(outgoing, answered);
  };
}
