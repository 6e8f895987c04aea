import type { Writable } from 'node:stream';

/** Why a log line was not written: the reader is too slow or stalled, or it is gone (EPIPE). */
export type LogDropReason = 'buffer_full' | 'output_failed';

/** Where pino writes: never blocks, never throws, holds a bounded amount. */
export interface LogOutput {
  write(line: string): void;
  /** Resolves once what is buffered has been written, or after `withinMs`, whichever is first. */
  flush(withinMs: number): Promise<void>;
}

/** 1 Mi characters, a few thousand lines: a short stall of the log collector costs nothing, a long one a few MB at most. */
export const LOG_BUFFER_CHARS = 1_048_576;

export interface LogOutputOptions {
  /** Most text waiting for the reader, in characters (about bytes: log lines are ASCII JSON). Default LOG_BUFFER_CHARS. */
  maxBuffered?: number;
  onDrop(reason: LogDropReason): void;
}

const FLUSH_POLL_MS = 10;

/**
 * Log lines for a stream the event loop writes without blocking (server.ts passes the
 * process's stdout: Node writes a pipe or socket non-blocking, through libuv), bounded: a
 * line that would take the unwritten text past `maxBuffered` is dropped and counted.
 *
 * Not pino's own destination, sonic-boom: by default it buffers without limit and registers
 * an exit handler calling flushSync (pino's fatal() calls it too), which retries EAGAIN every
 * 100 ms, and any other error, forever: a stalled reader held the process at exit. With
 * `maxLength` its asynchronous writes run on libuv's thread pool, where a blocking stdout (as
 * a parent hands it over) holds a thread that exiting the process then waits for.
 *
 * A write error (EPIPE: the reader is gone) ends the output: later lines are dropped and
 * counted, never retried.
 */
export function createLogOutput(stream: Writable, options: LogOutputOptions): LogOutput {
  const maxBuffered = options.maxBuffered ?? LOG_BUFFER_CHARS;
  let failed = false;
  // Without a listener, an EPIPE would be thrown as an uncaught exception.
  stream.on('error', () => {
    failed = true;
  });
  return {
    write(line) {
      if (failed || stream.destroyed) return options.onDrop('output_failed');
      if (stream.writableLength + line.length > maxBuffered) return options.onDrop('buffer_full');
      stream.write(line);
    },
    flush(withinMs) {
      const until = performance.now() + withinMs;
      return new Promise((resolve) => {
        const check = () => {
          if (failed || stream.destroyed || stream.writableLength === 0 || performance.now() >= until) return resolve();
          setTimeout(check, Math.min(FLUSH_POLL_MS, Math.max(0, until - performance.now())));
        };
        check();
      });
    },
  };
}
