import { describe, expect, it } from 'vitest';
import { claimSelection, NO_CLAIMS, NO_SELECTED_CLAIMS, pickClaims } from '../../src/decision/identity/selected-claims.js';
import { Denial } from '../../src/decision/outcome.js';
import { checkClaims } from '../../src/decision/policy/claims/claim-check.js';
import { parsePolicy, type Policy } from '../../src/decision/policy/policy-file.js';
import { parseQueryRequirements } from '../../src/decision/policy/query-requirements.js';
import { policyClaims } from '../../src/decision/policy/route-requirements.js';
import { ConfigError } from '../../src/errors.js';

const policyOf = (claims: unknown): Policy => parsePolicy(JSON.stringify({ rules: [{ match: { path_prefix: '/' }, claims }] }), 'p.json');
const conditionsOf = (claims: unknown) => policyOf(claims).rules[0]!.requirements.claims;
const problemsOf = (claims: unknown): string[] => {
  try {
    policyOf(claims);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
};
/** The refusal's code, or 'met' when every condition holds. */
function verdict(claims: unknown, verified: Record<string, unknown> | undefined): string {
  const conditions = conditionsOf(claims);
  const picked = verified && pickClaims(verified, policyClaims(policyOf(claims)));
  try {
    checkClaims(picked, conditions);
    return 'met';
  } catch (error) {
    if (error instanceof Denial) return error.code;
    throw error;
  }
}

describe('claim conditions in a policy file', () => {
  it('compile to a flat list in the order written, members as a path', () => {
    expect(conditionsOf({ a: { exists: true, equals: 'x' }, address: { members: { country: { any_of: ['DE', 'AT'] } } } })).toEqual([
      { claim: 'a', members: [], operator: 'exists', expected: true },
      { claim: 'a', members: [], operator: 'equals', expected: 'x' },
      { claim: 'address', members: ['country'], operator: 'any_of', expected: ['DE', 'AT'] },
    ]);
  });

  it('refuse what could never mean one thing, each problem with where it is', () => {
    expect(problemsOf({ a: {} })).toEqual([expect.stringContaining('rules.0.claims.a: give at least one of equals')]);
    expect(problemsOf({ a: { exists: false, equals: 'x' } })).toEqual([expect.stringContaining('exists: false cannot go with another condition')]);
    expect(problemsOf({ a: { any_of: [] } })).toHaveLength(1);
    expect(problemsOf({ a: { equals: { nested: 1 } } })).toHaveLength(1);
    expect(problemsOf({ a: { equals: null } })).toHaveLength(1);
    expect(problemsOf({ a: { one_of: ['x'] } })).toEqual(expect.arrayContaining([expect.stringContaining('one_of')]));
    expect(problemsOf({ '': { exists: true } })).toHaveLength(1);
    // Refused rather than lost on the way into an object, its condition with it.
    expect(problemsOf({ ['__proto__']: { exists: true } })).toEqual([expect.stringContaining('a claim or member named __proto__ cannot be checked')]);
    expect(problemsOf({ o: { members: { ['__proto__']: { exists: true } } } })).toHaveLength(1);
  });

  it('are the policy file\'s alone: an auth URL query naming claims is refused with why', () => {
    for (const query of ['claims=%7B%7D', 'claims.tenant=acme', 'claim=x']) {
      expect(() => parseQueryRequirements(query)).toThrow(/claim conditions are set in the policy file only/);
    }
  });

  it('conflict with mode resolver, where no claim is ever seen', () => {
    expect(() => parsePolicy(JSON.stringify({ rules: [{ match: { path_prefix: '/' }, mode: 'resolver', claims: { a: { exists: true } } }] }), 'p.json'))
      .toThrow(/claim conditions need JWT access tokens, so mode resolver would refuse every request/);
  });
});

describe('checking claim conditions', () => {
  it('compares strictly by type', () => {
    expect(verdict({ n: { equals: 1 } }, { n: 1 })).toBe('met');
    expect(verdict({ n: { equals: 1 } }, { n: '1' })).toBe('claim_mismatch');
    expect(verdict({ n: { equals: 1 } }, { n: true })).toBe('claim_mismatch');
    expect(verdict({ b: { any_of: [true] } }, { b: [false, true] })).toBe('met');
    expect(verdict({ b: { any_of: [true] } }, { b: ['true'] })).toBe('claim_mismatch');
    expect(verdict({ g: { all_of: [1, 'a'] } }, { g: ['a', 1] })).toBe('met');
    expect(verdict({ g: { all_of: [1, 'a'] } }, { g: ['a', '1'] })).toBe('claim_mismatch');
  });

  it('needs every condition: several on one claim, and on several claims', () => {
    const claims = { a: { exists: true, any_of: ['x', 'y'] }, b: { equals: false } };
    expect(verdict(claims, { a: 'y', b: false })).toBe('met');
    expect(verdict(claims, { a: 'y', b: true })).toBe('claim_mismatch');
    expect(verdict(claims, { a: 'z', b: false })).toBe('claim_mismatch');
  });

  it('reads only what the token itself has: never an inherited constructor or __proto__', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      expect(verdict({ [name]: { exists: false } }, {}), name).toBe('met');
      expect(verdict({ [name]: { exists: true } }, {}), name).toBe('claim_mismatch');
      expect(verdict({ o: { members: { [name]: { exists: false } } } }, { o: {} }), name).toBe('met');
    }
    const own = { claim: 'o', members: ['__proto__'], operator: 'exists', expected: true } as const;
    expect(() => checkClaims(pickClaims({ o: {} }, claimSelection(['o'])), [own])).toThrow(Denial);
    expect(() => checkClaims(pickClaims(JSON.parse('{"o": {"__proto__": 1}}') as Record<string, unknown>, claimSelection(['o'])), [own])).not.toThrow();
  });

  it('refuses a session, which has no claims, with its own reason, naming the condition', () => {
    expect(verdict({ a: { exists: false } }, undefined)).toBe('claims_unavailable');
    expect(() => checkClaims(undefined, conditionsOf({ a: { exists: false } }))).toThrow(expect.objectContaining({ condition: { claim: 'a', members: [], operator: 'exists' } }));
    expect(() => checkClaims(undefined, [])).not.toThrow();
  });

  it('names the failed condition in the refusal, never the expected or the found value', () => {
    let refusal: Denial | undefined;
    try {
      checkClaims(pickClaims({ t: 'found-value' }, claimSelection(['t'])), conditionsOf({ t: { equals: 'expected-value' } }));
    } catch (error) {
      refusal = error as Denial;
    }
    expect(refusal?.condition).toEqual({ claim: 't', members: [], operator: 'equals' });
    expect(`${refusal?.message} ${JSON.stringify(refusal?.condition)}`).not.toMatch(/found-value|expected-value/);
  });
});

describe('the claims a verified token keeps', () => {
  it('are those the policy names, and none (one shared empty set) when it names none', () => {
    const selection = policyClaims(policyOf({ b: { exists: true }, a: { members: { x: { equals: 1 } } } }));
    expect(selection.names).toEqual(['a', 'b']);
    const picked = pickClaims({ sub: 'u', a: { x: 1 }, b: 2, c: 3 }, selection);
    expect({ ...picked }).toEqual({ a: { x: 1 }, b: 2 });
    expect(Object.getPrototypeOf(picked)).toBe(null);
    expect(policyClaims(parsePolicy('rules: []', 'p.yaml'))).toBe(NO_CLAIMS);
    expect(pickClaims({ a: 1 }, NO_CLAIMS)).toBe(NO_SELECTED_CLAIMS);
  });

  it('keep their selection across a reload that names the same claims, so cached tokens stay as they are', () => {
    const before = policyClaims(policyOf({ a: { exists: true }, b: { exists: true } }));
    expect(policyClaims(policyOf({ b: { equals: 1 }, a: { any_of: ['x'] } }), before)).toBe(before);
    expect(policyClaims(policyOf({ a: { exists: true } }), before)).not.toBe(before);
  });
});
