import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

export interface ConnectionDrainOptions {
  /** A connection is closed once nothing has arrived on it for this long and no answer is pending on it. */
  quietMs: number;
  /** How often connections are looked at, once the listener is closing. */
  sweepMs: number;
}

/**
 * A second of silence after SIGTERM: a gateway in traffic reuses a connection within
 * milliseconds (and then gets Connection: close); one quiet that long is rarely about to
 * send, and nginx retries a request that fails on a reused connection.
 */
const DEFAULTS: ConnectionDrainOptions = { quietMs: 1000, sweepMs: 100 };

export interface ConnectionDrain {
  /** From now on every answer says Connection: close, and Node closes the connection after it. */
  drain(): void;
  /** Stops accepting, closes the connections that stay quiet, resolves once none is left. */
  close(): Promise<void>;
}

/** Node's response on the socket now, if any (the field its own closeIdleConnections reads). */
const pendingAnswer = (socket: Socket) => (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;

/**
 * Shutdown of an HTTP listener without resetting a request that reached it. Keep-alive
 * clients (nginx holds dozens of connections) send their next request whenever they like: a
 * connection that looks idle may have one on the wire, and closing it then resets that
 * request. So from drain() on, every answer carries Connection: close (a client never
 * reuses that connection, and Node closes it once the answer is out), busy connections finish
 * what they are doing, and close() only closes connections on which nothing at all has
 * arrived for `quietMs`, checked again after the event loop has read what the kernel holds.
 *
 * Node's own server.close() (since Node 19) also closes every idle connection at once,
 * which is exactly that race: close() stops the listening socket through net.Server's close
 * instead. The shutdown deadline, not this, bounds how long a connection may hold on.
 */
export function createConnectionDrain(server: Server, options: ConnectionDrainOptions = DEFAULTS): ConnectionDrain {
  const sockets = new Map<Socket, { bytesRead: number; since: number }>();
  let draining = false;
  // Per connection, not per request: the hot path is untouched until drain().
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { bytesRead: socket.bytesRead, since: Date.now() });
    socket.once('close', () => sockets.delete(socket));
  });
  const closeAfterAnswer = (_incoming: IncomingMessage, outgoing: ServerResponse) => {
    outgoing.shouldKeepAlive = false;
  };

  function drain() {
    if (draining) return;
    draining = true;
    // Before the listener, which may answer in the same tick.
    server.prependListener('request', closeAfterAnswer);
    const at = Date.now();
    for (const [socket, seen] of sockets) {
      const answer = pendingAnswer(socket);
      if (answer && !answer.headersSent) answer.shouldKeepAlive = false;
      seen.since = at;
      seen.bytesRead = socket.bytesRead;
    }
  }

  function closeQuiet() {
    const at = Date.now();
    for (const [socket, seen] of sockets) {
      if (socket.bytesRead !== seen.bytesRead || pendingAnswer(socket)) {
        seen.bytesRead = socket.bytesRead;
        seen.since = at;
      } else if (at - seen.since >= options.quietMs) {
        // After the poll phase, which reads whatever the kernel already holds for this socket:
        // a request that arrived meanwhile makes it busy, and it is left alone.
        const bytesRead = socket.bytesRead;
        setImmediate(() => {
          if (socket.bytesRead === bytesRead && !pendingAnswer(socket)) socket.destroy();
        });
      }
    }
  }

  return {
    drain,
    close() {
      drain();
      return new Promise((resolve) => {
        const sweep = setInterval(closeQuiet, options.sweepMs);
        NetServer.prototype.close.call(server, () => {
          clearInterval(sweep);
          resolve();
        });
        closeQuiet();
      });
    },
  };
}
