import type { IncomingMessage, ServerResponse } from 'node:http';
import { UNDECIDED, type AuthDecision } from './auth-decision.js';
import type { Answer } from './denial-answer.js';
import { nodeHeaderReader } from './request-headers.js';

export type NodeRequestListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void;

export interface NodeListenerOptions {
  decide: AuthDecision;
  /** Every other request (health, readiness, metrics, not found): the Hono app's listener. */
  fallback: (incoming: IncomingMessage, outgoing: ServerResponse) => unknown;
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
 * The shipped server's request listener. /auth is answered here, straight from Node's parsed
 * headers to writeHead: no Fetch Request, Context or Response per call, which on the cached
 * hot path was a third of the time the sidecar spent. The Hono app answers the rest, and
 * answers /auth itself to app.request() and absolute-form URLs, from the same decision.
 */
export function createNodeListener({ decide, fallback, onWriteError }: NodeListenerOptions): NodeRequestListener {
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

  return function answerRequest(incoming, outgoing) {
    const url = incoming.url ?? '';
    const queryAt = url.indexOf('?');
    if ((queryAt === -1 ? url : url.slice(0, queryAt)) !== AUTH_PATH) {
      void fallback(incoming, outgoing);
      return;
    }
    const answered = decide({ header: nodeHeaderReader(incoming), query: queryAt === -1 ? '' : url.slice(queryAt + 1) });
    if (answered instanceof Promise) answered.then((answer) => write(outgoing, answer), fail(outgoing));
    else write(outgoing, answered);
  };
}
