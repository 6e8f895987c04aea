import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POLICY_SCALE_REQUEST, policyWithRules } from '../../bench/policy-scale.js';
import { literalPrefixOf } from '../../src/decision/policy/match/literal-prefix.js';
import { createRuleMatcher, type RuleMatcher } from '../../src/decision/policy/matcher.js';
import { parsePolicy, type Policy } from '../../src/decision/policy/policy-file.js';
import type { OriginalRequest } from '../../src/decision/request/original-request.js';
import { createLinearRuleMatcher } from '../support/linear-rule-matcher.js';

const request = (host: string, path: string, method = 'GET'): OriginalRequest => ({ protocol: 'nginx', method, proto: 'https', host, uri: path, path });
const policyOf = (document: object): Policy => parsePolicy(JSON.stringify(document), 'policy.json');
const indexOf = (matcher: RuleMatcher, host: string, path: string, method = 'GET') => matcher(request(host, path, method)).index;

/** Every matching index in order, asking again after each one as a caller skipping rules would. */
function allMatches(matcher: RuleMatcher, asked: OriginalRequest): number[] {
  const found: number[] = [];
  for (let index = matcher(asked).index; index !== -1; index = matcher(asked, index + 1).index) found.push(index);
  return found;
}

describe('the compiled rule matcher, examples', () => {
  it('keeps the policy order between a wildcard host and an exact host on different rules', () => {
    const wildcardFirst = createRuleMatcher(policyOf({ rules: [
      { match: { hosts: ['*.example.com'], path_prefix: '/a' } },
      { match: { hosts: ['app.example.com'] } },
    ] }));
    expect(indexOf(wildcardFirst, 'app.example.com', '/a/x')).toBe(0);
    expect(indexOf(wildcardFirst, 'app.example.com', '/b')).toBe(1);
    expect(indexOf(wildcardFirst, 'other.example.com', '/b')).toBe(-1);
    // *.example.com is any name under example.com, not example.com itself.
    expect(indexOf(wildcardFirst, 'example.com', '/a')).toBe(-1);
    expect(indexOf(wildcardFirst, 'a.b.example.com:8443', '/a')).toBe(0);

    const exactFirst = createRuleMatcher(policyOf({ rules: [
      { match: { hosts: ['app.example.com'], path_prefix: '/b' } },
      { match: { hosts: ['*.example.com'] } },
    ] }));
    expect(indexOf(exactFirst, 'app.example.com', '/a')).toBe(1);
    expect(indexOf(exactFirst, 'app.example.com:8080', '/b')).toBe(0);
  });

  it('keeps the order across host groups: an any-host rule before a host rule wins on that host', () => {
    const matcher = createRuleMatcher(policyOf({ rules: [
      { match: { path_prefix: '/health' } },
      { match: { hosts: ['api.example.com', '*.api.example.com'] } },
      { match: { hosts: ['*.example.com'], path_prefix: '/' } },
      { match: { methods: ['POST'] } },
    ] }));
    expect(indexOf(matcher, 'api.example.com', '/healthz')).toBe(0);
    expect(indexOf(matcher, 'v1.api.example.com', '/x')).toBe(1);
    expect(indexOf(matcher, 'www.example.com', '/x', 'POST')).toBe(2);
    expect(indexOf(matcher, 'example.org', '/x', 'POST')).toBe(3);
    expect(indexOf(matcher, '[::1]:8080', '/x', 'GET')).toBe(-1);
  });

  it('lets a prefix rule before a regex rule that also matches win, and the other way round', () => {
    const prefixFirst = createRuleMatcher(policyOf({ rules: [
      { match: { path_prefix: '/admin/' } },
      { match: { path_regex: '^/(admin/)?reports(/|$)' } },
    ] }));
    expect(indexOf(prefixFirst, 'a.test', '/admin/reports')).toBe(0);
    expect(indexOf(prefixFirst, 'a.test', '/reports')).toBe(1);
    const regexFirst = createRuleMatcher(policyOf({ rules: [
      { match: { path_regex: '^/admin/reports$' } },
      { match: { path_prefix: '/admin/' } },
    ] }));
    expect(indexOf(regexFirst, 'a.test', '/admin/reports')).toBe(0);
    expect(indexOf(regexFirst, 'a.test', '/admin/reports/x')).toBe(1);
  });

  it('compares lower-cased paths with lower-cased prefixes and literal regex prefixes when ignore_path_case', () => {
    const matcher = createRuleMatcher(policyOf({ ignore_path_case: true, rules: [
      { match: { path_regex: '^/API/V1/(ORDERS|items)$' } },
      { match: { path_prefix: '/Admin/' } },
    ] }));
    expect(indexOf(matcher, 'a.test', '/api/v1/Orders')).toBe(0);
    expect(indexOf(matcher, 'a.test', '/Api/V1/ITEMS')).toBe(0);
    expect(indexOf(matcher, 'a.test', '/ADMIN/x')).toBe(1);
    const strict = createRuleMatcher(policyOf({ rules: [{ match: { path_regex: '^/API/' } }, { match: { path_prefix: '/Admin/' } }] }));
    expect(indexOf(strict, 'a.test', '/api/x')).toBe(-1);
    expect(indexOf(strict, 'a.test', '/admin/x')).toBe(-1);
    expect(indexOf(strict, 'a.test', '/API/x')).toBe(0);
  });

  it('filters by method among rules that share a host and prefix', () => {
    const matcher = createRuleMatcher(policyOf({ rules: [
      { match: { path_prefix: '/api/', methods: ['DELETE'] } },
      { match: { path_prefix: '/api/', methods: ['GET', 'HEAD'] } },
      { match: { path_prefix: '/api' } },
    ] }));
    expect(indexOf(matcher, 'a.test', '/api/x', 'DELETE')).toBe(0);
    expect(indexOf(matcher, 'a.test', '/api/x', 'HEAD')).toBe(1);
    expect(indexOf(matcher, 'a.test', '/api/x', 'POST')).toBe(2);
    expect(indexOf(matcher, 'a.test', '/apis', 'DELETE')).toBe(2);
  });

  it('answers the next match from a start index, for a caller that passes over a rule', () => {
    const matcher = createRuleMatcher(policyOf({ rules: [
      { match: { hosts: ['app.example.com'], path_prefix: '/a' } },
      { match: { path_prefix: '/b' } },
      { match: { path_regex: '^/a/' } },
      { match: { hosts: ['*.example.com'] } },
    ] }));
    expect(allMatches(matcher, request('app.example.com', '/a/x'))).toEqual([0, 2, 3]);
    expect(matcher(request('app.example.com', '/a/x'), 4)).toMatchObject({ index: -1, rule: { name: 'default' } });
    expect(matcher(request('app.example.com', '/a/x'), 1).rule.name).toBe('rules.2');
  });

  it('finds the last of ten thousand tenant rules, and a rule that names a host twice once', () => {
    const rules = Array.from({ length: 10_000 }, (_, at) => ({ match: { hosts: [`t${at}.example.com`, `t${at}.example.com`], path_prefix: `/api/${at}/` } }));
    const matcher = createRuleMatcher(policyOf({ rules }));
    expect(indexOf(matcher, 't9999.example.com', '/api/9999/x')).toBe(9999);
    expect(indexOf(matcher, 't9999.example.com', '/api/999/x')).toBe(-1);
    expect(allMatches(matcher, request('t5.example.com', '/api/5/'))).toEqual([5]);
  });
});

describe('literal prefixes of regexes', () => {
  it.each([
    ['^/api/v1/', '/api/v1/'],
    ['^/admin(/|$)', '/admin'],
    ['^/(api/)?admin', '/'],
    ['^\\/a\\.b\\-c', '/a.b-c'],
    ['^/ab?', '/a'],
    ['^/ab*c', '/a'],
    ['^/ab+', '/a'],
    ['^/ab{2}', '/a'],
    ['^/a\\d', '/a'],
    ['^/a\\/?', '/a'],
    ['^/a.b', '/a'],
    ['^/a[b]', '/a'],
    ['^/a$', '/a'],
    ['/api/', ''],
    ['^/a|^/b', ''],
    ['^/a(b|c)|/d', ''],
    ['^/a[|]', '/a'],
    ['^/a\\|b', '/a|b'],
    ['^/a(?:b)|x', ''],
  ])('%j starts every match with %j', (source, prefix) => {
    expect(literalPrefixOf(source)).toBe(prefix);
  });
});

// Small alphabets, so random rules and requests meet often: about 60% of the requests match a rule.
const SEGMENTS = ['a', 'b', 'A', 'ab', 'api', 'x1'];
const LABELS = ['a', 'b', 'com'];
const hostName = fc.array(fc.constantFrom(...LABELS), { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
const hostPattern = fc.oneof(hostName, hostName.map((name) => `*.${name}`));
const path = fc
  .tuple(fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 4 }), fc.boolean())
  .map(([segments, slash]) => `/${segments.join('/')}${slash && segments.length > 0 ? '/' : ''}`);
// A prefix of a path, often ending inside a segment, so prefixes are often prefixes of each other.
const prefix = path.chain((whole) => fc.noBias(fc.integer({ min: 1, max: whole.length })).map((end) => whole.slice(0, end)));
const ATOMS = ['a', 'b', 'A', 'api', '/', '\\/', '.', '[ab]', '(a|b)', 'b?', 'a*', '(/|$)', '$', '(?:api/)?', '\\d', 'x1', '\\.', '[^/]+'];
const regexBody = fc.array(fc.constantFrom(...ATOMS), { minLength: 1, maxLength: 5 }).map((atoms) => atoms.join(''));
const regex = fc.oneof(
  regexBody.map((body) => `^/${body}`),
  regexBody,
  fc.tuple(regexBody, regexBody).map(([left, right]) => `^/${left}|${right}`),
);
const METHODS = ['GET', 'POST', 'DELETE'];
const half = { nil: undefined, freq: 2 };
const match = fc
  .record({
    hosts: fc.option(fc.array(hostPattern, { minLength: 1, maxLength: 3 }), half),
    methods: fc.option(fc.subarray(METHODS, { minLength: 1 }), half),
    path: fc.oneof(fc.constant({}), prefix.map((value) => ({ path_prefix: value })), regex.map((value) => ({ path_regex: value }))),
  })
  .map(({ hosts, methods, path: pathPart }) => ({ ...(hosts ? { hosts } : {}), ...(methods ? { methods } : {}), ...pathPart }))
  .filter((parts) => Object.keys(parts).length > 0);
const policy = fc.record({ ignore_path_case: fc.boolean(), rules: fc.array(match.map((value) => ({ match: value })), { maxLength: 16, size: 'medium' }) });
const requests = fc.array(
  fc.record({
    host: fc.oneof({ weight: 8, arbitrary: hostName }, { weight: 1, arbitrary: hostName.map((name) => `${name}:8443`) }, { weight: 1, arbitrary: fc.constant('[::1]') }),
    path,
    method: fc.constantFrom(...METHODS, 'PUT'),
  }),
  { minLength: 1, maxLength: 12 },
);

describe('the compiled rule matcher against the scan in order (property)', () => {
  it('finds the same first match, and the same next match from every start index', () => {
    fc.assert(
      fc.property(policy, requests, (document, asked) => {
        const parsed = policyOf(document);
        const compiled = createRuleMatcher(parsed);
        const linear = createLinearRuleMatcher(parsed);
        for (const { host, path: requestPath, method } of asked) {
          const original = request(host, requestPath, method);
          for (let start = 0; start <= parsed.rules.length; start++) {
            expect(compiled(original, start).index).toBe(linear(original, start).index);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('never finds a regex match that does not start with the regex\'s literal prefix', () => {
    fc.assert(
      fc.property(regex, fc.array(path, { maxLength: 10 }), fc.boolean(), (source, paths, ignoreCase) => {
        const compiled = new RegExp(source, ignoreCase ? 'i' : '');
        const literal = ignoreCase ? literalPrefixOf(source).toLowerCase() : literalPrefixOf(source);
        for (const candidate of paths) {
          const seen = ignoreCase ? candidate.toLowerCase() : candidate;
          if (compiled.test(seen)) expect(seen.startsWith(literal)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the scale bench\'s policies (bench/policy-scale.ts)', () => {
  it.each([
    ['prefix', {}],
    ['regex', {}],
    ['prefix', { hosts: false }],
    ['regex', { hosts: false }],
    ['regex', { hosts: false, literalRegexPrefix: false }],
  ] as const)('%s %j: the last rule alone matches the bench\'s request, and each tenant its own', (kind, options) => {
    const { host, path: requestPath, method } = POLICY_SCALE_REQUEST;
    for (const count of [1, 3, 50]) {
      const parsed = parsePolicy(policyWithRules(count, kind, options), 'policy.yaml');
      expect(parsed.rules).toHaveLength(count);
      for (const matcher of [createRuleMatcher(parsed), createLinearRuleMatcher(parsed)]) {
        expect(allMatches(matcher, request(host, requestPath, method))).toEqual([count - 1]);
        if (count > 1) expect(indexOf(matcher, 'tenant-1.example.com', '/api/1/orders')).toBe(1);
      }
    }
  });
});
