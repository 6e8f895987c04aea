import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Answer } from '../decision/answer/answer.js';
import { UNDECIDED } from '../decision/decide.js';
import type { HeaderReader } from './header-reader.js';
import { bodyAllowsReuse, lingerAfterAnswer } from './request-body.js';

/** Writes a decision (or its promise) as the HTTP answer to the request it was made for. */
export type AnswerWriter = (incoming: IncomingMessage, outgoing: ServerResponse, header: HeaderReader, answered: Answer | Promise<Answer>) => void;

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

/**
 * The writer every gateway protocol over HTTP shares: from the decision straight to
 * writeHead, in the same tick when the decision was synchronous. A decision that rejects, or
 * a header Node refuses, is answered with the fail-closed 503.
 */
export function createAnswerWriter(onWriteError: ((error: unknown) => void) | undefined): AnswerWriter {
  function write(incoming: IncomingMessage, outgoing: ServerResponse, header: HeaderReader, answer: Answer) {
    const reusable = bodyAllowsReuse(header);
    try {
      outgoing.writeHead(answer.status, flatHeaders(answer.headers, reusable));
    } catch (error) {
      // Node refused a header we built: fail closed.
      onWriteError?.(error);
      outgoing.writeHead(UNDECIDED.status, flatHeaders(UNDECIDED.headers, reusable));
    }
    outgoing.end();
    if (!reusable) lingerAfterAnswer(incoming, outgoing);
  }

  return function answerWith(incoming, outgoing, header, answered) {
    if (!(answered instanceof Promise)) return write(incoming, outgoing, header, answered);
    answered.then(
      (answer) => write(incoming, outgoing, header, answer),
      (error: unknown) => {
        onWriteError?.(error);
        write(incoming, outgoing, header, UNDECIDED);
      },
    );
  };
}
