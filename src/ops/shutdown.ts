import type { Logger } from '../observability/logging.js';

export interface ShutdownSteps {
  /** Readiness turns false; requests are still answered, each with Connection: close. */
  drain(): void;
  /** Stops accepting; resolves once every in-flight request has been answered. */
  closeListeners(): Promise<unknown>;
  /** Closes outbound connections (keep-alive agents, Redis). */
  closeClients(): Promise<unknown>;
  /** The deadline passed: drop whatever connections remain. */
  forceClose(): void;
  /** Gives buffered log lines up to `withinMs` to reach stdout; never longer, never blocking. */
  flushLogs(withinMs: number): Promise<unknown>;
}

export interface ShutdownOptions {
  logger: Logger;
  steps: ShutdownSteps;
  /** Serving with readiness false before the listener closes, so endpoints are removed first. */
  delayMs: number;
  /** From the first signal to exit, whatever happens (stdout included); fits a Kubernetes grace period. */
  timeoutMs: number;
  exit(code: number): void;
}

/** The longest wait for the last log lines before exit, when the deadline leaves that long. */
const FINAL_LOG_FLUSH_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The shutdown sequence as a function of the signal: drain, close listeners once in-flight
 * requests are answered, close clients, give the last log lines what time is left (at most
 * FINAL_LOG_FLUSH_MS), exit 0. At the deadline it exits 1 at once: nothing it does waits on
 * stdout, so a stalled log reader cannot hold the process. A second signal exits 1 at once
 * (an operator who presses Ctrl-C twice means it).
 */
export function createShutdown(options: ShutdownOptions): (signal: string) => void {
  const { logger, steps } = options;
  let startedAt: number | undefined;
  let exitCode: number | undefined;

  return function shutdown(signal) {
    if (startedAt !== undefined) {
      logger.warn({ signal, afterMs: Date.now() - startedAt }, 'second signal, exiting now');
      return options.exit(1);
    }
    startedAt = Date.now();
    logger.info({ signal, delayMs: options.delayMs, timeoutMs: options.timeoutMs }, 'shutting down: draining');
    const deadline = setTimeout(() => {
      // Done already, only the last log lines are still on their way: they stop here.
      if (exitCode !== undefined) return options.exit(exitCode);
      logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out, dropping remaining connections');
      steps.forceClose();
      options.exit(1);
    }, options.timeoutMs);
    deadline.unref();

    const finish = (code: number) => {
      exitCode = code;
      const left = startedAt! + options.timeoutMs - Date.now();
      const exit = () => {
        clearTimeout(deadline);
        options.exit(code);
      };
      steps.flushLogs(Math.max(0, Math.min(FINAL_LOG_FLUSH_MS, left))).then(exit, exit);
    };
    const sequence = async () => {
      steps.drain();
      if (options.delayMs > 0) await sleep(options.delayMs);
      await steps.closeListeners();
      await steps.closeClients();
    };
    sequence().then(
      () => {
        logger.info({ tookMs: Date.now() - startedAt! }, 'shut down cleanly');
        finish(0);
      },
      (error: unknown) => {
        logger.error({ error: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
        finish(1);
      },
    );
  };
}
