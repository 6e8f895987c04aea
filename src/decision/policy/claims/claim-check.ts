import type { SelectedClaims } from '../../identity/selected-claims.js';
import { Denial } from '../../outcome.js';
import type { ClaimCondition, ClaimValue } from './claim-conditions.js';

const own = (value: unknown, name: string): unknown =>
  // Own members only: `constructor` or `__proto__` of a claim is whatever the token says, or nothing.
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;

/** The value a condition reads: the claim, then each member inside it; undefined when any is missing. */
function valueAt(claims: SelectedClaims, condition: ClaimCondition): unknown {
  let value = own(claims, condition.claim);
  for (const member of condition.members) value = own(value, member);
  return value;
}

/** Whether the value meets the condition. JSON null counts as absent, as it does for CLAIM_HEADERS. */
function holds(condition: ClaimCondition, value: unknown): boolean {
  switch (condition.operator) {
    case 'exists':
      return (value !== undefined && value !== null) === condition.expected;
    case 'equals':
      return value === condition.expected;
    case 'any_of':
      return Array.isArray(value) ? value.some((item) => condition.expected.includes(item as ClaimValue)) : condition.expected.includes(value as ClaimValue);
    case 'all_of':
      return Array.isArray(value) && condition.expected.every((item) => value.includes(item));
  }
}

/** How a refusal names a condition: the claim and its members, never a value. */
export const conditionName = (condition: ClaimCondition): string =>
  [condition.claim, ...condition.members].map((name) => JSON.stringify(name)).join(' > ');

/**
 * Throws a Denial unless every condition holds on the verified claims; undefined claims (a
 * session the resolver checked: headers, not claims) meet none. The refusal names the
 * condition that failed, never the claim's value.
 */
export function checkClaims(claims: SelectedClaims | undefined, conditions: readonly ClaimCondition[]): void {
  if (conditions.length === 0) return;
  if (claims === undefined) {
    const [first] = conditions as [ClaimCondition];
    throw new Denial('claims_unavailable', 'this route has claim conditions, which only a JWT access token verified here carries', { condition: first });
  }
  for (const condition of conditions) {
    if (!holds(condition, valueAt(claims, condition))) {
      throw new Denial('claim_mismatch', `claim ${conditionName(condition)} does not meet ${condition.operator}`, { condition });
    }
  }
}
