import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderLookup } from '../decision/request/header-reader.js';
import type { Answer } from './http-answer.js';
import { bodyAllowsReuse, lingerAfterAnswer } from './request-body.js';

/** Writes an answer to the request it was made for; `undecided` is what a header Node refuses gets instead. */
export type AnswerWriter = (incoming: IncomingMessage, outgoing: ServerResponse, header: HeaderLookup, answer: Answer, undecided: () => Answer) => void;

/**
 * Node's flat header list ([name, value, name, value, ...]), the documented writeHead form,
 * with Content-Length: 0 so the gateway can reuse the connection, unless the request's body
 * makes that impossible (see bodyAllowsReuse): then Connection: close says so.
 */
function flatHeaders(headers: Answer['headers'], reusable: boolean): string[] {
  const flat = reusable ? ['content-length', '0'] : ['content-length', '0', 'connection', 'close'];
  for (const [name, value] of headers) flat.push(name, value);
  return flat;
}

/** Ends a response whose head is set: at once (`outgoing.end()`), or with others (answer-flush). */
export type AnswerEnd = (outgoing: ServerResponse) => void;

const endNow: AnswerEnd = (outgoing) => outgoing.end();

/**
 * The writer every gateway protocol over HTTP shares: straight to writeHead, in the same tick
 * when the decision was synchronous, then `end` sends it. The header list of an identity (a
 * cached token's, a session's) or of a shared refusal is flattened once and reused: writeHead
 * only reads it. A header Node refuses is answered with `undecided` (the fail-closed 503). An
 * answer that closes the connection is ended at once, before its request's body is drained.
 */
export function createAnswerWriter(onWriteError: ((error: unknown) => void) | undefined, end: AnswerEnd = endNow): AnswerWriter {
  const flattened = new WeakMap<Answer['headers'], string[]>();
  const reusableFlat = (headers: Answer['headers']) => {
    let flat = flattened.get(headers);
    if (flat === undefined) flattened.set(headers, (flat = flatHeaders(headers, true)));
    return flat;
  };

  return function writeAnswer(incoming, outgoing, header, answer, undecided) {
    const reusable = bodyAllowsReuse(header);
    const flat = (headers: Answer['headers']) => (reusable ? reusableFlat(headers) : flatHeaders(headers, false));
    try {
      outgoing.writeHead(answer.status, flat(answer.headers));
    } catch (error) {
      // Node refused a header we built: fail closed.
      onWriteError?.(error);
      const fallback = undecided();
      outgoing.writeHead(fallback.status, flat(fallback.headers));
    }
    if (reusable) return end(outgoing);
    outgoing.end();
    lingerAfterAnswer(incoming, outgoing);
  };
}
