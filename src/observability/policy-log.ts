import type { Logger } from './logging.js';
import type { Metrics } from './metrics/metrics.js';

/** What reading POLICY_FILE came to: at start, on SIGHUP, or after the file changed. */
export interface PolicyLoadReport {
  trigger: 'start' | 'signal' | 'file';
  /**
   * success: read, valid and in use; failure: unreadable or invalid, the last good policy
   * stays; unchanged: the file holds what was read last (a watch event that changed
   * nothing); none: there is no POLICY_FILE to reload.
   */
  result: 'success' | 'failure' | 'unchanged' | 'none';
  path: string | undefined;
  /** The rules of the policy now in use (success). */
  rules?: number;
  /** Every problem of the file, in plain words (failure). */
  problems?: readonly string[];
  /** What is valid but probably not meant (success). */
  warnings?: readonly string[];
}

/** Counts and logs each load: the metrics say whether the file on disk is in use, the log says why not. */
export function createPolicyLoadObserver(metrics: Metrics, logger: Logger, now: () => number): (report: PolicyLoadReport) => void {
  return function policyLoaded(report) {
    const { trigger, result, path } = report;
    if (result === 'success' || result === 'failure') metrics.policyLoad({ result, reload: trigger !== 'start', atMs: now() });
    for (const warning of report.warnings ?? []) logger.warn({ path, warning }, 'policy warning');
    if (result === 'failure') logger.error({ trigger, path, problems: report.problems }, 'policy file not applied: it is not valid, the last good policy stays in use');
    else if (result === 'success' && trigger !== 'start') logger.info({ trigger, path, rules: report.rules }, 'policy reloaded');
    else if (result === 'none') logger.info({ trigger }, 'no POLICY_FILE to reload');
    else if (result === 'unchanged') logger.debug({ trigger, path }, 'policy file unchanged');
  };
}
