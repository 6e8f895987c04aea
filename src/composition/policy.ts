import { readFileSync } from 'node:fs';
import type { Config } from '../config/load-config.js';
import { policySettingProblems } from '../config/policy-settings.js';
import { parsePolicy, type Policy } from '../decision/policy/policy-file.js';
import { policyWarnings } from '../decision/policy/policy-warnings.js';
import { createRequirementLookup, policyClaims, type RequirementLookup } from '../decision/policy/route-requirements.js';
import type { ClaimSelection } from '../decision/identity/selected-claims.js';
import { ConfigError } from '../errors.js';
import type { Observers } from '../observability/observers.js';
import type { PolicyLoadReport } from '../observability/policy-log.js';

export type ReloadTrigger = 'signal' | 'file';

/** The policy in use, replaced whole when POLICY_FILE is read again and found valid. */
export interface LivePolicy {
  /** The policy version a request starting now is decided by; the request keeps it to its answer. */
  current(): RequirementLookup;
  /**
   * Reads POLICY_FILE again: valid, it applies to requests that start from now on; not, the
   * last good policy stays and every problem is logged. Synchronous, so two reloads never
   * interleave and the last one read is the one in use.
   */
  reload(trigger: ReloadTrigger): PolicyLoadReport['result'];
  /** Reports the policy read at start (its warnings, when it was loaded): called by the gate's start(). */
  reportStart(): void;
}

interface Version {
  lookup: RequirementLookup;
  claims: ClaimSelection;
}

/**
 * The live policy. A version is everything compiled from one file: the rule index, the
 * compiled auth URL queries (their cache is keyed by rule index, which means another rule in
 * another version) and the claims tokens keep. A reload builds a new version apart and then
 * swaps one reference; the verified-token cache holds no route's verdict, so it stays.
 */
export function composePolicy(config: Config, deps: { observers: Observers; readFile?: (path: string) => string }): LivePolicy {
  const readFile = deps.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const path = config.policyFile;
  const compile = (policy: Policy | undefined, previous?: ClaimSelection): Version => {
    // Naming the same claims, the new version keeps the selection: cached tokens keep theirs.
    const claims = policyClaims(policy, previous);
    const lookup = createRequirementLookup({ policy, idTokensEnabled: config.clientIds.length > 0, defaultMode: config.authMode, claims });
    return { lookup, claims };
  };
  let version = compile(config.policy);
  // What the file held when last read: a watch event that changed nothing is not a reload.
  let lastText: string | undefined;

  function read(trigger: ReloadTrigger, file: string): PolicyLoadReport {
    let text: string;
    try {
      text = readFile(file);
    } catch (error) {
      lastText = undefined;
      return { trigger, result: 'failure', path: file, problems: [`POLICY_FILE: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`] };
    }
    if (trigger === 'file' && text === lastText) return { trigger, result: 'unchanged', path: file };
    lastText = text;
    let policy: Policy;
    try {
      policy = parsePolicy(text, file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return { trigger, result: 'failure', path: file, problems: error.problems };
    }
    const problems = policySettingProblems(policy, config);
    if (problems.length > 0) return { trigger, result: 'failure', path: file, problems };
    version = compile(policy, version.claims);
    return { trigger, result: 'success', path: file, rules: policy.rules.length, warnings: policyWarnings(policy, config.authMode) };
  }

  // A reload runs in a signal handler or a watch callback: whatever goes wrong is reported, never thrown.
  function readSafely(trigger: ReloadTrigger, file: string): PolicyLoadReport {
    try {
      return read(trigger, file);
    } catch (error) {
      return { trigger, result: 'failure', path: file, problems: [`POLICY_FILE: could not be read as a policy: ${(error as Error).message}`] };
    }
  }

  return {
    current: () => version.lookup,
    reportStart() {
      if (path) deps.observers.policyLoad({ trigger: 'start', result: 'success', path, rules: config.policy?.rules.length ?? 0, warnings: config.policyWarnings });
    },
    reload(trigger) {
      const report: PolicyLoadReport = path ? readSafely(trigger, path) : { trigger, result: 'none', path };
      deps.observers.policyLoad(report);
      return report.result;
    },
  };
}
