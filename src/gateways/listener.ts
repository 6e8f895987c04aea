import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthDecision } from '../decision/decide.js';
import { readOriginalRequest, type GatewayProtocol } from './auth-request.js';
import { createAnswerWriter } from './answer-writer.js';
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

/**
 * The one transport of /auth, for nginx auth_request and ForwardAuth (Traefik, Caddy): from
 * Node's parsed request straight to writeHead, with Content-Length: 0 so the gateway can
 * reuse the connection. Every other path goes to the ops routes. Production and every test
 * answer /auth through this listener.
 */
export function createGateListener({ decide, gateway, ops, onWriteError }: GateListenerOptions) {
  const answerWith = createAnswerWriter(onWriteError);

  return function gateListener(incoming: IncomingMessage, outgoing: ServerResponse): void {
    const target = parseRequestTarget(incoming.url ?? '');
    if (target.path !== AUTH_PATH) {
      void ops(incoming, outgoing);
      return;
    }
    const header = nodeHeaderReader(incoming, target.authority);
    answerWith(incoming, outgoing, header, decide({ readRequest: () => readOriginalRequest(header, gateway), header, query: target.query }));
  };
}
