import { Counter, type Registry } from 'prom-client';
import type { LogDropReason } from '../log-output.js';

const REASONS: readonly LogDropReason[] = ['buffer_full', 'output_failed'];

/**
 * Log lines the output could not take. Counted as plain numbers, handed to prom-client at
 * scrape (a stalled reader at debug level drops a line per request); both series are there
 * at 0 from the start, so an alert on increase() sees the first drop.
 */
export function createLogMetrics(registers: Registry[]): (reason: LogDropReason) => void {
  const pending: Record<LogDropReason, number> = { buffer_full: 0, output_failed: 0 };
  new Counter({
    name: 'authgear_gate_log_lines_dropped_total',
    help: 'Log lines not written, by reason: buffer_full (stdout\'s reader is slower than the logs, or stalled, and the bounded buffer was full), output_failed (a write to stdout failed, e.g. EPIPE: the reader is gone).',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      for (const reason of REASONS) {
        this.inc({ reason }, pending[reason]);
        pending[reason] = 0;
      }
    },
  });
  return function logLineDropped(reason) {
    pending[reason]++;
  };
}
