import { createLogBudget } from '../log-budget.js';
import { describeError, type Logger } from '../logging.js';

/** A collector that is down fails an export every few seconds: one line a minute says so. */
const EXPORT_LOG_INTERVAL_MS = 60_000;

/** Failed span exports, bounded: the first at once, then one line per interval with how many failed. */
export function createExportFailureLog(logger: Logger, now: () => number): (error: unknown) => void {
  const budget = createLogBudget({ lines: 1, intervalMs: EXPORT_LOG_INTERVAL_MS, now });
  return function logExportFailure(error) {
    const verdict = budget('export');
    if (!verdict.write) return;
    logger.warn({ error: describeError(error), failed: verdict.leftOut + 1 }, 'could not export spans to the OTLP endpoint: they are lost, requests are not affected');
  };
}
