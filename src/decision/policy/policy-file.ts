import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { hostPattern } from '../request/host-patterns.js';
import { requirementConflicts } from './requirement-conflicts.js';
import { applyFields, DEFAULT_REQUIREMENTS, describeIssues, RequirementFields, type Requirements } from './requirements.js';

export interface RuleMatch {
  /** Exact host names, or `*.example.com` for any subdomain; compared without the port. */
  hosts?: string[];
  methods?: string[];
  pathPrefix?: string;
  /** Source of a RegExp tested against the normalized path. */
  pathRegex?: string;
}

export interface PolicyRule {
  name: string;
  match: RuleMatch;
  requirements: Requirements;
  /** false (report-only, Istio's dry run): judged and its refusals reported, never the answer. */
  enforce: boolean;
}

/** A validated policy: plain data (printable by --check-config); the matcher compiles it. */
export interface Policy {
  ignorePathCase: boolean;
  rules: PolicyRule[];
  /** Applies when no rule matches; also what every rule inherits. */
  fallback: PolicyRule;
}

const compiles = (source: string) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
};

const Match = z
  .strictObject({
    hosts: z.array(hostPattern).min(1).optional(),
    methods: z.array(z.string().toUpperCase().regex(/^[A-Z][A-Z-]{0,19}$/, 'not an HTTP method')).min(1).optional(),
    path_prefix: z.string().regex(/^\/[\x21-\x7e]*$/, 'a path prefix starts with / and has no spaces').optional(),
    path_regex: z.string().min(1).max(1000).refine(compiles, 'not a valid JavaScript regular expression').optional(),
  })
  .refine((match) => !(match.path_prefix !== undefined && match.path_regex !== undefined), 'give path_prefix or path_regex, not both')
  .refine((match) => Object.keys(match).length > 0, 'match needs at least one of hosts, methods, path_prefix, path_regex');

const Rule = RequirementFields.extend({ name: z.string().min(1).max(100).optional(), match: Match, enforce: z.boolean().optional() });

/** What a rule has besides requirement fields: its name, what it matches, whether it is enforced. */
export const RULE_KEYS: readonly string[] = Object.keys(Rule.shape).filter((key) => !(key in RequirementFields.shape));

const PolicyDocument = z.strictObject({
  ignore_path_case: z.boolean().default(false),
  default: RequirementFields.default({}),
  rules: z.array(Rule).default([]),
});

/** Problems a schema cannot see: combinations that would silently do nothing. */
function ruleProblems(rule: PolicyRule, where: string): string[] {
  const problems: string[] = [];
  const { requirements } = rule;
  if (requirements.freshnessFrom === 'id_token' && requirements.maxAuthAge === undefined) {
    problems.push(`${where}: freshness_from id_token needs max_auth_age`);
  }
  for (const conflict of requirementConflicts(requirements, undefined)) problems.push(`${where}: ${conflict}`);
  return problems;
}

/** Validates a policy document's text (YAML, or JSON when the name ends in .json), listing every problem. */
export function parsePolicy(text: string, fileName: string): Policy {
  const prefix = 'POLICY_FILE: ';
  // An empty file is a write caught half-way far more often than a policy: say so.
  if (text.trim() === '') throw new ConfigError([`${prefix}${fileName} is empty (a policy of the default rule alone is \`rules: []\`)`]);
  let data: unknown;
  if (extname(fileName).toLowerCase() === '.json') {
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new ConfigError([`${prefix}${fileName} is not valid JSON: ${(error as Error).message}`]);
    }
  } else {
    const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    if (document.errors.length > 0) throw new ConfigError(document.errors.map((error) => `${prefix}${fileName}: ${error.message.split('\n')[0]}`));
    data = document.toJS({ maxAliasCount: 100 }) ?? {};
  }
  const parsed = PolicyDocument.safeParse(data);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, prefix));

  const fallbackRequirements = applyFields(DEFAULT_REQUIREMENTS, parsed.data.default);
  const fallback: PolicyRule = { name: 'default', match: {}, requirements: fallbackRequirements, enforce: true };
  const rules = parsed.data.rules.map(({ name, match, enforce, ...fields }, index): PolicyRule => ({
    name: name ?? `rules.${index}`,
    match: {
      ...(match.hosts ? { hosts: match.hosts } : {}),
      ...(match.methods ? { methods: match.methods } : {}),
      ...(match.path_prefix !== undefined ? { pathPrefix: match.path_prefix } : {}),
      ...(match.path_regex !== undefined ? { pathRegex: match.path_regex } : {}),
    },
    requirements: applyFields(fallbackRequirements, fields),
    enforce: enforce ?? true,
  }));
  const problems = [
    ...ruleProblems(fallback, `${prefix}default`),
    ...rules.flatMap((rule, index) => ruleProblems(rule, `${prefix}rules.${index}`)),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return { ignorePathCase: parsed.data.ignore_path_case, rules, fallback };
}

export function loadPolicyFile(path: string, readFile: (path: string) => string): Policy {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new ConfigError([`POLICY_FILE: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  return parsePolicy(text, path);
}
