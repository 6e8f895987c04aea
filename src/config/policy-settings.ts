import type { Policy } from '../decision/policy/policy-file.js';
import { needsAccessToken, needsClaims } from '../decision/policy/requirements.js';
import type { Settings } from './settings.js';

/**
 * What a valid policy file needs of the other settings: CLIENT_IDS for ID token freshness,
 * an AUTH_MODE that can prove what its rules ask. Checked at start and at every reload.
 */
export function policySettingProblems(policy: Policy | undefined, settings: Partial<Pick<Settings, 'clientIds' | 'authMode'>>): string[] {
  const problems: string[] = [];
  const rules = policy ? [policy.fallback, ...policy.rules] : [];
  if (settings.clientIds?.length === 0 && rules.some((rule) => rule.requirements.freshnessFrom === 'id_token')) {
    problems.push('POLICY_FILE: a rule takes freshness from ID tokens, which needs CLIENT_IDS');
  }
  if (settings.authMode !== 'resolver') return problems;
  // A rule's own mode: resolver is refused by the policy file itself; this is AUTH_MODE's turn.
  const unmoded = rules.filter((rule) => rule.requirements.mode === undefined);
  if (unmoded.some((rule) => needsAccessToken(rule.requirements))) {
    problems.push('POLICY_FILE: a rule needs a resource or scopes, which only JWT access tokens prove, but AUTH_MODE is resolver (give the rule mode: auto or jwt)');
  }
  if (unmoded.some((rule) => needsClaims(rule.requirements))) {
    problems.push('POLICY_FILE: a rule has claim conditions, which only JWT access tokens carry, but AUTH_MODE is resolver (give the rule mode: jwt or auto)');
  }
  return problems;
}
