import type { AuthMode } from '../authentication/auth-mode.js';
import type { Policy } from './policy-file.js';
import { needsClaims } from './requirements.js';

/**
 * What is valid but probably not meant, said by --check-config, at start and at each reload:
 * a rule with claim conditions that also takes sessions. The resolver answers a session with
 * headers, not claims, so every session there is refused (claims_unavailable); a rule that
 * means it names mode jwt. (Mode resolver there is an error: requirementConflicts.)
 */
export function policyWarnings(policy: Policy | undefined, defaultMode: AuthMode): string[] {
  if (!policy) return [];
  const warnings: string[] = [];
  const rules = [{ where: 'default', rule: policy.fallback }, ...policy.rules.map((rule, index) => ({ where: `rules.${index} (${rule.name})`, rule }))];
  for (const { where, rule } of rules) {
    const { requirements } = rule;
    if (!needsClaims(requirements) || requirements.access !== 'authenticated' || (requirements.mode ?? defaultMode) !== 'auto') continue;
    warnings.push(
      `POLICY_FILE: ${where}: has claim conditions but mode auto also takes sessions (cookies, opaque tokens), which carry no claims: ` +
        'each is refused there with 403 claims_unavailable (give the rule mode: jwt to take tokens only)',
    );
  }
  return warnings;
}
