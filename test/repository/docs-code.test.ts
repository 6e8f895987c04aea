import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { Denial } from '../../src/decision/outcome.js';
import { CLAIM_OPERATORS } from '../../src/decision/policy/claims/claim-conditions.js';
import { parsePolicy, RULE_KEYS } from '../../src/decision/policy/policy-file.js';
import { parseQueryRequirements } from '../../src/decision/policy/query-requirements.js';
import { RequirementFields } from '../../src/decision/policy/requirements.js';
import { createMetrics } from '../../src/observability/metrics/metrics.js';
import { codeSpans, section, table } from '../support/markdown.js';
import { REPO } from '../support/processes.js';

// The tables of docs/ that repeat what the code says, held to the code. (The configuration
// table is held to src/config/settings.ts by test/processes/config.test.ts, the gateway header lists to
// src/decision/identity/ by test/repository/gateways-doc.test.ts.)
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

describe('docs/policies.md', () => {
  const rows = table(read('docs/policies.md'), 'Field (policy file)');

  it('lists every field a policy rule may set', () => {
    const fields = rows.flatMap(([field]) => codeSpans(field!).map((span) => /^[a-z_]+/.exec(span)![0]));
    expect(sorted(fields)).toEqual(sorted(Object.keys(RequirementFields.shape)));
  });

  it('lists every query parameter of the auth URL', () => {
    let known: string[] = [];
    try {
      parseQueryRequirements('not_a_parameter=1');
    } catch (error) {
      expect(error).toBeInstanceOf(Denial);
      known = /\(known: ([^)]+)\)/.exec((error as Denial).message)![1]!.split(', ');
    }
    const parameters = rows.flatMap(([, parameter]) => codeSpans(parameter!).map((span) => /^[a-z_]+/.exec(span)![0]));
    expect(known.length).toBeGreaterThan(10);
    expect(sorted(parameters)).toEqual(sorted(known));
  });

  it('lists every key a rule has besides the requirement fields', () => {
    const keys = table(read('docs/policies.md'), 'Rule key').flatMap(([key]) => codeSpans(key!));
    expect(sorted(keys)).toEqual(sorted(RULE_KEYS));
  });

  it('lists every operator of a claim condition, and members', () => {
    const operators = table(section(read('docs/policies.md'), 'Claim conditions'), 'Operator').flatMap(([operator]) => codeSpans(operator!).map((span) => /^[a-z_]+/.exec(span)![0]));
    expect(sorted(operators)).toEqual(sorted([...CLAIM_OPERATORS, 'members']));
  });

  it('shows only valid policy files, those inside a list included', () => {
    const blocks = [...read('docs/policies.md').matchAll(/^( *)```yaml\n([\s\S]*?)^\1```$/gm)].map(([, indent, body]) => body!.replace(new RegExp(`^${indent}`, 'gm'), ''));
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const block of blocks) expect(() => parsePolicy(block, 'policy.yaml'), block.slice(0, 80)).not.toThrow();
  });
});

describe('docs/security.md', () => {
  it('lists exactly the identity headers of src/decision/identity/ as the contract for apps', () => {
    const rows = table(section(read('docs/security.md'), 'Identity headers (the contract for your app)'), 'Header');
    const named = rows.flatMap(([header]) => codeSpans(header!)).filter((name) => /^X-Authgear-[A-Za-z-]+$/.test(name));
    expect(sorted(named.map((name) => name.toLowerCase()))).toEqual(sorted(IDENTITY_HEADER_NAMES));
  });
});

describe('docs/operations.md', () => {
  const doc = read('docs/operations.md');

  it('recommends exactly the alerts of the shipped PrometheusRule, at their severity', () => {
    const rule = parse(read('deploy/base/prometheusrule.yaml')) as { spec: { groups: Array<{ rules: Array<{ alert: string; labels: { severity: string } }> }> } };
    const shipped = rule.spec.groups.flatMap((group) => group.rules.map((alert) => [alert.alert, alert.labels.severity]));
    const documented = table(section(doc, 'Alerts'), 'Alert').map(([alert, severity]) => [codeSpans(alert!)[0], severity]);
    expect(documented).toEqual(shipped);
  });

  it('describes every metric the sidecar exports, and no other', async () => {
    const exported = [...(await createMetrics().text()).matchAll(/^# TYPE (authgear_gate_\w+) /gm)].map((match) => match[1]!);
    const documented = table(section(doc, 'Metrics'), 'Metric').flatMap(([metric]) => codeSpans(metric!)).filter((name) => name.startsWith('authgear_gate_'));
    expect(exported.length).toBeGreaterThan(10);
    expect(sorted(documented)).toEqual(sorted(exported));
  });
});
