import { Counter, Gauge, type Registry } from 'prom-client';
import { createBatchedCounter, type CounterSeries } from './batched-counter.js';
import { decisionLabels } from './labels.js';

/** A POLICY_FILE load: the one at start (always valid, or the process stops) or a reload. */
export interface PolicyLoad {
  result: 'success' | 'failure';
  reload: boolean;
  /** Wall clock, ms. */
  atMs: number;
}

export interface PolicyMetrics {
  policyLoad(load: PolicyLoad): void;
  /** A refusal of a report-only rule (enforce: false), which did not give the answer. */
  wouldDeny(rule: string, reason: string): void;
}

/**
 * The policy file's reloads and the report-only rules' refusals. The validity gauge is what
 * the alert reads: it stays 0 while the file on disk is invalid however long nothing
 * changes, where the reload counter's increase() would fall back to 0 after its window.
 * would_deny is a counter of its own, not a result of decisions_total: that one counts
 * answers, and its sum is what the alerts divide by; a report-only refusal is no answer (the
 * same request is counted there once, under its real answer).
 */
export function createPolicyMetrics(registers: Registry[]): PolicyMetrics {
  const prefix = 'authgear_gate_';
  const reloads = new Counter({ name: `${prefix}policy_reload_total`, help: 'POLICY_FILE reloads (SIGHUP, or the file changed) by result: success (applied), failure (invalid or unreadable; the last good policy stays).', labelNames: ['result'] as const, registers });
  // Present at 0 from the start, so an alert on increase() sees the first failure.
  for (const result of ['success', 'failure']) reloads.inc({ result }, 0);
  const lastSuccess = new Gauge({ name: `${prefix}policy_last_reload_success_timestamp_seconds`, help: 'When POLICY_FILE was last loaded and applied (at start, or by a reload), in Unix seconds; 0 without a policy file.', registers });
  const valid = new Gauge({ name: `${prefix}policy_file_valid`, help: '1 while the policy in use is what POLICY_FILE holds (or there is none); 0 from a reload that found it invalid or unreadable until one applies it.', registers });
  valid.set(1);
  const wouldDeny = createBatchedCounter({ name: `${prefix}would_deny_total`, help: 'Refusals of report-only rules (enforce: false) that were not the answer, by rule (its name in POLICY_FILE) and reason code.', labelNames: ['rule', 'reason'] as const, registers });
  // Rule names come from the policy file only: as many series as report-only rules were ever loaded.
  const series = new Map<string, Map<string, CounterSeries>>();

  return {
    policyLoad({ result, reload, atMs }) {
      if (reload) reloads.inc({ result });
      valid.set(result === 'success' ? 1 : 0);
      if (result === 'success') lastSuccess.set(Math.floor(atMs / 1000));
    },
    wouldDeny(rule, reason) {
      let byReason = series.get(rule);
      if (!byReason) series.set(rule, (byReason = new Map()));
      let counter = byReason.get(reason);
      if (!counter) byReason.set(reason, (counter = wouldDeny.series({ rule, reason: decisionLabels({ status: 403, code: reason, via: undefined }).reason })));
      counter.inc();
    },
  };
}
