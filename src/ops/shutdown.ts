import type { Server } from 'node:http';
import type { Logger } from '../observability/logging.js';

export interface ShutdownSteps {
  /** Readiness turns false; requests are still answered. */
  drain(): void;
  /** Stops accepting; resolves once every in-flight request has been answered. */
  closeListeners(): Promise<unknown>;
  /** Closes outbound connections (keep-alive agents, Redis). */
  closeClients(): Promise<unknown>;
  /** The deadline passed: drop whatever connections remain. */
  forceClose(): void;
}

export interface ShutdownOptions {
  logger: Logger;
  steps: ShutdownSteps;
  /** Serving with readiness false before the listener closes, so endpoints are removed first. */
  delayMs: number;
  /** From the first signal to exit, whatever happens; fits a Kubernetes grace period. */
  timeoutMs: number;
  exit(code: number): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The shutdown sequence as a function of the signal: drain, close listeners once in-flight
 * requests are answered, close clients, exit 0. Past the deadline it exits 1; a second
 * signal exits 1 at once (an operator who presses Ctrl-C twice means it).
 */
export function createShutdown(options: ShutdownOptions): (signal: string) => void {
  const { logger, steps } = options;
  let startedAt: number | undefined;

  return function shutdown(signal) {
    if (startedAt !== undefined) {
      logger.warn({ signal, afterMs: Date.now() - startedAt }, 'second signal, exiting now');
      return options.exit(1);
    }
    startedAt = Date.now();
    logger.info({ signal, delayMs: options.delayMs, timeoutMs: options.timeoutMs }, 'shutting down: draining');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out, dropping remaining connections');
      steps.forceClose();
      options.exit(1);
    }, options.timeoutMs);
    deadline.unref();

    const sequence = async () => {
      steps.drain();
      if (options.delayMs > 0) await sleep(options.delayMs);
      await steps.closeListeners();
      await steps.closeClients();
    };
    sequence().then(
      () => {
        clearTimeout(deadline);
        logger.info({ tookMs: Date.now() - startedAt! }, 'shut down cleanly');
        options.exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        logger.error({ error: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
        options.exit(1);
      },
    );
  };
}

/**
 * Stops accepting and resolves when every connection is gone. Keep-alive connections (nginx
 * holds dozens) would otherwise stay open until the deadline: idle ones are closed now, and
 * busy ones as soon as their response is out.
 */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
  });
}
