import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderLookup } from '../decision/request/header-reader.js';

/**
 * The largest request body a connection is kept open for. No gateway question needs a body
 * (nginx and ForwardAuth send none; ext_authz's with_request_body / forwardBody is for
 * servers that read it, and the decision never does), so this only spares a gateway that
 * forwards a small one a new connection.
 */
export const MAX_KEPT_BODY_BYTES = 8 * 1024;

/** What a closing connection may still read, and for how long, after its answer. */
export const LINGER_BYTES = 64 * 1024;
export const LINGER_MS = 1000;

/**
 * Whether the connection may carry another request once this one is answered. Node reads an
 * unread body to its end after the answer (res.end dumps it) so that the next request can
 * be parsed: for a body of unknown (chunked) or large length that read has no bound, so such
 * a request is answered with Connection: close and its connection closed instead.
 */
export function bodyAllowsReuse(header: HeaderLookup): boolean {
  // Node's parser has already refused a malformed or contradictory Content-Length.
  const length = header('content-length');
  if (length !== undefined) return Number(length) <= MAX_KEPT_BODY_BYTES;
  return header('transfer-encoding') === undefined;
}

/**
 * Closes the connection of a request answered with Connection: close while its body may still
 * be coming. Node ends the socket after the answer (FIN) and destroys it once the answer is
 * written; with body bytes unread, that close is a TCP reset, which discards the answer
 * still on its way and makes the gateway report an error instead. So the socket stays open
 * a little longer, discarding at most LINGER_BYTES for at most LINGER_MS, until the gateway,
 * having read the answer, closes its side (nginx's lingering close, bounded).
 */
export function lingerAfterAnswer(incoming: IncomingMessage, outgoing: ServerResponse): void {
  const socket = incoming.socket;
  outgoing.once('finish', () => {
    // Node's own 'finish' handler ran first: it resumed the body (read and discarded) and
    // asked the socket to destroy itself once written. Only that last step is undone here.
    if (socket.destroyed) return;
    socket.removeListener('finish', socket.destroy);
    let discarded = 0;
    const stop = () => socket.destroy();
    const deadline = setTimeout(stop, LINGER_MS);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
    incoming.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_BYTES) stop();
    });
  });
}
