import type { MatchedRule, RuleMatcher } from '../../src/decision/policy/matcher.js';
import type { Policy, PolicyRule } from '../../src/decision/policy/policy-file.js';
import { createHostTest } from '../../src/decision/request/host-patterns.js';
import { hostnameOf, type OriginalRequest } from '../../src/decision/request/original-request.js';
import { normalizePath } from '../../src/decision/request/normalize-path.js';

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

/**
 * The matcher as it was before it was compiled into an index: every rule in order, each a
 * list of tests. It is the specification the compiled matcher is checked against, and the
 * bench's "before" column.
 */
export function createLinearRuleMatcher(policy: Policy): RuleMatcher {
  const compiled = policy.rules.map((rule) => compileRule(rule, policy.ignorePathCase));
  const fallback: MatchedRule = { index: -1, rule: policy.fallback };
  return function matchRule(request, startIndex = 0) {
    const normalized = normalizePath(request.path);
    const path = policy.ignorePathCase ? normalized.toLowerCase() : normalized;
    const hostname = hostnameOf(request.host);
    for (let index = Math.max(startIndex, 0); index < compiled.length; index++) {
      if (compiled[index]!.every((test) => test(request, path, hostname))) return { index, rule: policy.rules[index]! };
    }
    return fallback;
  };
}
