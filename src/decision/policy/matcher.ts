import { hostnameOf, type OriginalRequest } from '../request/original-request.js';
import { normalizePath } from '../request/normalize-path.js';
import { buildHostIndex, lowestForHost, type HostedEntry } from './match/host-index.js';
import { literalPrefixOf } from './match/literal-prefix.js';
import type { Policy, PolicyRule } from './policy-file.js';

export interface MatchedRule {
  /** Position in the policy file, or -1 for the default rule. */
  index: number;
  rule: PolicyRule;
}

/**
 * The first matching rule at `startIndex` (default 0) or later, else the default rule. A
 * caller that passes over a matched rule asks again from the rule after it.
 */
export type RuleMatcher = (request: OriginalRequest, startIndex?: number) => MatchedRule;

function hostedEntry(rule: PolicyRule, index: number, ignoreCase: boolean): HostedEntry {
  const { hosts, methods, pathPrefix, pathRegex } = rule.match;
  // The path is lower-cased before matching when case is ignored, so every key is too.
  const prefix = pathPrefix ?? (pathRegex !== undefined ? literalPrefixOf(pathRegex) : '');
  return {
    hosts,
    keyed: {
      prefix: ignoreCase ? prefix.toLowerCase() : prefix,
      entry: {
        index,
        methods: methods ? new Set(methods) : undefined,
        regex: pathRegex !== undefined ? new RegExp(pathRegex, ignoreCase ? 'i' : '') : undefined,
      },
    },
  };
}

/**
 * First matching rule wins; the default rule answers when none does. The rules are compiled
 * into an index by host and path prefix, so a match costs about the same with ten thousand
 * rules as with one (test/policy-matcher.test.ts holds it to the scan in order).
 */
export function createRuleMatcher(policy: Policy): RuleMatcher {
  const { rules, ignorePathCase } = policy;
  const index = buildHostIndex(rules.map((rule, at) => hostedEntry(rule, at, ignorePathCase)));
  const matched = rules.map((rule, at): MatchedRule => Object.freeze({ index: at, rule }));
  const fallback: MatchedRule = Object.freeze({ index: -1, rule: policy.fallback });
  return function matchRule(request, startIndex = 0) {
    const normalized = normalizePath(request.path);
    const path = ignorePathCase ? normalized.toLowerCase() : normalized;
    const found = lowestForHost(index, hostnameOf(request.host), path, request.method, startIndex, rules.length);
    return found < rules.length ? matched[found]! : fallback;
  };
}
