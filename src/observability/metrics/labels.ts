import { OUTCOME_CODES, type OutcomeCode } from '../../errors.js';

/**
 * Label values come from fixed lists only. The types already say so; these guards make it
 * true at run time too, so a new code path can never turn a label into an unbounded series.
 */
export function oneOf<T extends string>(value: string, allowed: readonly T[]): T | 'other' {
  return (allowed as readonly string[]).includes(value) ? (value as T) : 'other';
}

const REASONS = new Set<string>(OUTCOME_CODES);
const VIAS = ['jwt', 'resolver', 'resolver_stale', 'none'] as const;
const PRINCIPALS = ['user', 'client', 'none'] as const;

export interface DecisionLabels {
  result: 'allow' | 'redirect' | 'deny' | 'unavailable';
  reason: OutcomeCode | 'other';
  via: (typeof VIAS)[number] | 'other';
  /** Who authenticated: a user, a machine client (M2M token), or nobody (yet). */
  principal: (typeof PRINCIPALS)[number] | 'other';
}

function resultOf(status: number): DecisionLabels['result'] {
  if (status < 300) return 'allow';
  if (status < 400) return 'redirect';
  if (status < 500) return 'deny';
  return 'unavailable';
}

export function decisionLabels(sample: { status: number; code: string; via: string | undefined; principal?: string | undefined }): DecisionLabels {
  return {
    result: resultOf(sample.status),
    reason: REASONS.has(sample.code) ? (sample.code as OutcomeCode) : 'other',
    via: oneOf(sample.via ?? 'none', VIAS),
    principal: oneOf(sample.principal ?? 'none', PRINCIPALS),
  };
}
