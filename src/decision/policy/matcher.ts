import { createHostTest } from '../request/host-patterns.js';
import { hostnameOf, type OriginalRequest } from '../request/original-request.js';
import { normalizePath } from '../request/normalize-path.js';
import type { Policy, PolicyRule } from './policy-file.js';

export interface MatchedRule {
  /** Position in the policy file, or -1 for the default rule. */
  index: number;
  rule: PolicyRule;
}

export type RuleMatcher = (request: OriginalRequest) => MatchedRule;

type Test = (request: OriginalRequest, path: string, hostname: string) => boolean;

function compileRule(rule: PolicyRule, ignoreCase: boolean): Test[] {
  const { hosts, methods, pathPrefix, pathRegex } = rule.match;
  const tests: Test[] = [];
  if (hosts) {
    const hostAllowed = createHostTest(hosts);
    tests.push((_request, _path, hostname) => hostAllowed(hostname));
  }
  if (methods) {
    const allowed = new Set(methods);
    tests.push((request) => allowed.has(request.method));
  }
  if (pathPrefix !== undefined) {
    const prefix = ignoreCase ? pathPrefix.toLowerCase() : pathPrefix;
    tests.push((_request, path) => path.startsWith(prefix));
  }
  if (pathRegex !== undefined) {
    const regex = new RegExp(pathRegex, ignoreCase ? 'i' : '');
    tests.push((_request, path) => regex.test(path));
  }
  return tests;
}

/** First matching rule wins; the default rule answers when none does. */
export function createRuleMatcher(policy: Policy): RuleMatcher {
  const compiled = policy.rules.map((rule) => compileRule(rule, policy.ignorePathCase));
  const fallback: MatchedRule = { index: -1, rule: policy.fallback };
  return function matchRule(request) {
    const normalized = normalizePath(request.path);
    const path = policy.ignorePathCase ? normalized.toLowerCase() : normalized;
    const hostname = hostnameOf(request.host);
    for (let index = 0; index < compiled.length; index++) {
      if (compiled[index]!.every((test) => test(request, path, hostname))) return { index, rule: policy.rules[index]! };
    }
    return fallback;
  };
}
