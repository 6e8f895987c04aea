import { z } from 'zod';

/** A value a claim condition compares with: compared strictly, so `true`, `"true"` and `1` are three values. */
export type ClaimValue = string | number | boolean;

export const CLAIM_OPERATORS = ['exists', 'equals', 'any_of', 'all_of'] as const;
export type ClaimOperator = (typeof CLAIM_OPERATORS)[number];

/**
 * One condition on a verified claim, compiled: the top-level claim, the members to follow
 * inside it (an object claim's, e.g. OIDC's address.country), and what the value must be.
 * Plain data, so --check-config prints it.
 */
export type ClaimCondition = { claim: string; members: readonly string[] } & (
  | { operator: 'exists'; expected: boolean }
  | { operator: 'equals'; expected: ClaimValue }
  | { operator: 'any_of' | 'all_of'; expected: readonly ClaimValue[] }
);

/** A condition as the policy file spells it; several operators on one claim must all hold. */
export interface ClaimConditionFields {
  equals?: ClaimValue | undefined;
  any_of?: ClaimValue[] | undefined;
  all_of?: ClaimValue[] | undefined;
  exists?: boolean | undefined;
  members?: Record<string, ClaimConditionFields> | undefined;
}

// Claim names are free-form (URIs mostly: https://example.com/tenant): each key is one
// name, never split at dots or slashes; an object claim's members are reached by nesting.
const claimName = z.string().min(1).max(256);
const claimValue = z.union([z.string().max(1024), z.number(), z.boolean()]);
const claimValues = z.array(claimValue).min(1).max(1000);

/**
 * Claim name -> condition. A key `__proto__` is refused: a record parsed into an object drops
 * it without a word, and a condition that is silently gone lets everyone through.
 */
const byClaim = <T>(condition: z.ZodType<T>) =>
  z.preprocess((input, context) => {
    if (typeof input === 'object' && input !== null && Object.hasOwn(input, '__proto__')) {
      context.addIssue({ code: 'custom', message: 'a claim or member named __proto__ cannot be checked', path: ['__proto__'] });
    }
    return input;
  }, z.record(claimName, condition));

const Condition: z.ZodType<ClaimConditionFields> = z.lazy(() =>
  z
    .strictObject({
      equals: claimValue.optional(),
      any_of: claimValues.optional(),
      all_of: claimValues.optional(),
      exists: z.boolean().optional(),
      members: byClaim(Condition).optional(),
    })
    .refine((fields) => Object.keys(fields).length > 0, 'give at least one of equals, any_of, all_of, exists, members')
    .refine(
      (fields) => fields.exists !== false || Object.keys(fields).length === 1,
      'exists: false cannot go with another condition on the same claim (an absent claim has no value to compare)',
    ),
);

/** The `claims` field of a rule: claim name -> condition. */
export const ClaimConditionsField = byClaim(Condition);

/** Compiles the field into a flat list of conditions, in the order written; all must hold. */
export function compileClaimConditions(fields: Record<string, ClaimConditionFields>): readonly ClaimCondition[] {
  const conditions: ClaimCondition[] = [];
  const walk = (claim: string, members: readonly string[], condition: ClaimConditionFields) => {
    const on = { claim, members };
    if (condition.exists !== undefined) conditions.push({ ...on, operator: 'exists', expected: condition.exists });
    if (condition.equals !== undefined) conditions.push({ ...on, operator: 'equals', expected: condition.equals });
    if (condition.any_of) conditions.push({ ...on, operator: 'any_of', expected: Object.freeze([...condition.any_of]) });
    if (condition.all_of) conditions.push({ ...on, operator: 'all_of', expected: Object.freeze([...condition.all_of]) });
    for (const [member, nested] of Object.entries(condition.members ?? {})) walk(claim, Object.freeze([...members, member]), nested);
  };
  for (const [claim, condition] of Object.entries(fields)) walk(claim, Object.freeze([]), condition);
  return Object.freeze(conditions.map((condition) => Object.freeze(condition)));
}

/** The top-level claims some condition reads: what a verified token must keep. */
export const claimNamesOf = (conditions: readonly ClaimCondition[]): string[] => conditions.map((condition) => condition.claim);
