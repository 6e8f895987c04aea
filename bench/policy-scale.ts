// A measurement, not a test: what matching a request against a policy costs in process, by
// the number of rules, the scan in order against the compiled matcher. Build and run with
// `npx tsc -p tsconfig.bench.json && node .tmp/bench-build/bench/policy-scale.js [--counts 1,10,100]`.
// policyWithRules is also what the bench's /auth rows with many rules are to load.
import { parseArgs } from 'node:util';
import { createRuleMatcher, type RuleMatcher } from '../src/decision/policy/matcher.js';
import { parsePolicy } from '../src/decision/policy/policy-file.js';
import type { OriginalRequest } from '../src/decision/request/original-request.js';
import { createLinearRuleMatcher } from '../test/support/linear-rule-matcher.js';

export type PolicyScaleKind = 'prefix' | 'regex';

export interface PolicyScaleOptions {
  /** Each rule names its tenant's host (a multi-tenant gateway); false: no rule names a host. Default true. */
  hosts?: boolean;
  /**
   * Regexes that start with `^/literal`, which the matcher indexes like a prefix; false: each
   * starts with `^/[^/]+` (any first segment), so no rule can be told apart before its regex runs. Default true.
   */
  literalRegexPrefix?: boolean;
}

/** The request the last rule of policyWithRules matches, and no other: the bench's NGINX_SUBREQUEST_HEADERS. */
export const POLICY_SCALE_REQUEST = { host: 'app.example.test', method: 'GET', path: '/api/orders' } as const;

/**
 * A policy file (YAML) of `count` rules whose last rule alone matches POLICY_SCALE_REQUEST, as
 * a multi-tenant gateway has them: rule i is for host tenant-i.example.com and paths under
 * /api/i/ (a path_prefix, or a path_regex of the same paths).
 */
export function policyWithRules(count: number, kind: PolicyScaleKind, options: PolicyScaleOptions = {}): string {
  const { hosts = true, literalRegexPrefix = true } = options;
  const paths = (under: string) => {
    if (kind === 'prefix') return `path_prefix: ${under}`;
    const regexUnder = literalRegexPrefix ? `^${under}` : `^/[^/]+${under.slice('/api'.length)}`;
    return `path_regex: "${regexUnder}(orders|items)(/|$)"`;
  };
  const rule = (name: string, host: string, under: string) =>
    `  - { name: ${name}, match: { ${hosts ? `hosts: [${host}], ` : ''}${paths(under)} } }`;
  const tenants = Array.from({ length: count - 1 }, (_, at) => rule(`tenant-${at}`, `tenant-${at}.example.com`, `/api/${at}/`));
  return ['rules:', ...tenants, rule('app', POLICY_SCALE_REQUEST.host, '/api/'), ''].join('\n');
}

const REQUEST: OriginalRequest = { protocol: 'nginx', proto: 'https', uri: `${POLICY_SCALE_REQUEST.path}?page=2`, ...POLICY_SCALE_REQUEST };

/**
 * This thread's CPU time in microseconds: on a shared machine the wall clock also counts the
 * time other jobs had the core, the thread's CPU time does not.
 */
const cpuMicros = () => {
  const { user, system } = process.threadCpuUsage();
  return user + system;
};

/** Median CPU microseconds per match over rounds of about 50 ms each. */
function microsPerMatch(match: RuleMatcher, expected: number): number {
  if (match(REQUEST).index !== expected) throw new Error(`matched rule ${match(REQUEST).index}, not ${expected}`);
  // Every answer is summed and checked, so no compiler can leave the calls out.
  let sum = 0;
  let calls = 0;
  let iterations = 1;
  const round = () => {
    const start = cpuMicros();
    for (let at = 0; at < iterations; at++) sum += match(REQUEST).index;
    calls += iterations;
    return cpuMicros() - start;
  };
  while (round() < 50_000) iterations *= 2;
  const rounds = Array.from({ length: 7 }, () => round() / iterations).sort((a, b) => a - b);
  if (sum !== expected * calls) throw new Error('a match answered another rule');
  return rounds[3]!;
}

function millis(work: () => void): number {
  const start = cpuMicros();
  work();
  return (cpuMicros() - start) / 1000;
}

const FAMILIES: Array<{ title: string; kind: PolicyScaleKind; options: PolicyScaleOptions }> = [
  { title: 'path_prefix + hosts', kind: 'prefix', options: {} },
  { title: 'path_regex + hosts', kind: 'regex', options: {} },
  { title: 'path_prefix, no hosts', kind: 'prefix', options: { hosts: false } },
  { title: 'path_regex ^/literal, no hosts', kind: 'regex', options: { hosts: false } },
  { title: 'path_regex ^/[^/]+/, no hosts', kind: 'regex', options: { hosts: false, literalRegexPrefix: false } },
];

const format = (micros: number) => (micros < 10 ? micros.toFixed(2) : micros < 1000 ? micros.toFixed(1) : micros.toFixed(0));

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { counts: { type: 'string', default: '1,10,100,1000,10000' } } });
  const counts = values.counts.split(',').map(Number);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`Per-match CPU time in us (median of 7 rounds), request ${REQUEST.method} ${REQUEST.host}${REQUEST.path} matching the last rule; Node ${process.version}`);
  out('');
  out(`| rules | ${FAMILIES.map((family) => `${family.title}: scan / compiled`).join(' | ')} |`);
  out(`|---:|${FAMILIES.map(() => '---:').join('|')}|`);
  const measure = (count: number) =>
    FAMILIES.map(({ kind, options }) => {
      const policy = parsePolicy(policyWithRules(count, kind, options), 'policy.yaml');
      return `${format(microsPerMatch(createLinearRuleMatcher(policy), count - 1))} / ${format(microsPerMatch(createRuleMatcher(policy), count - 1))}`;
    });
  // Unreported: the first rounds of a process run code V8 has not optimized yet.
  measure(10);
  for (const count of counts) out(`| ${count} | ${measure(count).join(' | ')} |`);
  out('');
  const largest = Math.max(...counts);
  for (const { title, kind, options } of FAMILIES) {
    const text = policyWithRules(largest, kind, options);
    let policy = parsePolicy(text, 'policy.yaml');
    const parsing = millis(() => (policy = parsePolicy(text, 'policy.yaml')));
    const compiling = Array.from({ length: 5 }, () => millis(() => createRuleMatcher(policy))).sort((a, b) => a - b)[2]!;
    out(`${largest} rules, ${title}: compiled in ${compiling.toFixed(1)} ms of CPU (median of 5); the YAML parsed and validated in ${parsing.toFixed(0)} ms`);
  }
}
