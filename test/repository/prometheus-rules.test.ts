import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FIRING, HEALTHY, HEALTHY_AT } from '../support/alert-scenarios.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { find, kustomize } from '../support/kubernetes/render.js';
import { freePort, httpGet, startGateProcess, tempDir, type Spawned } from '../support/processes.js';
import { promtoolCheckRules, promtoolTestRules } from '../support/prometheus.js';
import { renderLabels, selectorProblems, selectors } from '../support/promql.js';
import { startRedis, TEST_HMAC_SECRET, type RedisServer } from '../support/redis.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Group {
  name: string;
  rules: Rule[];
}

// What ships: the rule groups of the PrometheusRule as an overlay renders it.
const groups: Group[] = find(kustomize('deploy/overlays/ingress-nginx'), 'PrometheusRule', 'authgear-gate').spec.groups;
const rules = groups.flatMap((group) => group.rules);
const changed = (alert: string, change: (rule: Rule) => void): Group[] =>
  structuredClone(groups).map((group) => ({ ...group, rules: group.rules.map((rule) => (rule.alert === alert ? (change(rule), rule) : rule)) }));

const dirs: string[] = [];
const newDir = (name: string) => dirs[dirs.push(tempDir(name)) - 1]!;
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function writeRules(ruleGroups: Group[]): string {
  const file = join(newDir('rules'), 'rules.yaml');
  writeFileSync(file, stringify({ groups: ruleGroups }));
  return file;
}

/** A `promtool test rules` file: every firing case, then the healthy pod, where nothing fires. */
function writeUnitTests(ruleGroups: Group[]): string {
  const byName = new Map(ruleGroups.flatMap((group) => group.rules).map((rule) => [rule.alert, rule]));
  const expected = (alert: string, labels: Record<string, string>) => {
    const rule = byName.get(alert)!;
    // Templates see the expression's labels, not the rule's own (severity).
    const fromExpr = Object.fromEntries(Object.entries(labels).filter(([name]) => !(name in (rule.labels ?? {}))));
    const annotations = Object.entries(rule.annotations ?? {}).map(([name, template]) => [name, renderLabels(template, fromExpr)]);
    return { exp_labels: labels, exp_annotations: Object.fromEntries(annotations) };
  };
  const tests = [
    ...FIRING.map((scenario) => ({
      name: scenario.name,
      interval: '1m',
      input_series: scenario.series,
      alert_rule_test: scenario.firing.map(({ alert, at, labels }) => ({ eval_time: at, alertname: alert, exp_alerts: labels.map((each) => expected(alert, each)) })),
    })),
    {
      name: 'a healthy pod, blips included',
      interval: '1m',
      input_series: HEALTHY,
      alert_rule_test: HEALTHY_AT.flatMap((at) => [...byName.keys()].map((alert) => ({ eval_time: at, alertname: alert, exp_alerts: [] }))),
    },
  ];
  const dir = newDir('rule-tests');
  writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups }));
  writeFileSync(join(dir, 'tests.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
  return join(dir, 'tests.yaml');
}

describe('the PrometheusRule in deploy/base', () => {
  it('passes promtool check rules, which fails a broken expression', () => {
    const check = promtoolCheckRules(writeRules(groups));
    expect(check.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.ok).toBe(true);
    const broken = promtoolCheckRules(writeRules(changed('AuthgearGateFailingClosed', (rule) => { rule.expr = 'sum(rate(authgear_gate_decisions_total[5m])'; })));
    expect(broken.ok).toBe(false);
  });

  it('gives every alert a unique name, a severity, a for, a summary, a description and a runbook', () => {
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^AuthgearGate[A-Z]\w+$/);
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.for).toMatch(/^\d+m$/);
      for (const annotation of ['summary', 'description', 'runbook']) expect(rule.annotations?.[annotation]?.length, `${rule.alert} ${annotation}`).toBeGreaterThan(20);
    }
  });

  it('fires each alert in its case with its labels and annotations, and none for a healthy pod (promtool test rules)', () => {
    expect(new Set(FIRING.flatMap((scenario) => scenario.firing.map((each) => each.alert)))).toEqual(new Set(rules.map((rule) => rule.alert)));
    const result = promtoolTestRules(writeUnitTests(groups));
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it.each([
    ['a threshold its case does not reach', 'AuthgearGateFailingClosed', (rule: Rule) => { rule.expr = rule.expr.replace('> 0.05', '> 0.5'); }],
    ['a refresh failure alert blind to recoveries', 'AuthgearGateKeyRefreshFailing', (rule: Rule) => { rule.expr = rule.expr.replace(/unless[^]*$/, ''); }],
    ['a queue alert without its for', 'AuthgearGateUpstreamQueueing', (rule: Rule) => { rule.for = '0m'; }],
    ['a policy alert that waits for the failures to stop', 'AuthgearGatePolicyFileInvalid', (rule: Rule) => { rule.expr = 'sum by (namespace, pod) (increase(authgear_gate_policy_reload_total{result="failure"}[5m])) > 0'; }],
  ])('fails those unit tests for %s', (_name, alert, change) => {
    const result = promtoolTestRules(writeUnitTests(changed(alert, change)));
    expect(result.ok).toBe(false);
    expect(result.output).toContain(`alertname: ${alert}`);
  });

  it('reads the metric selectors of an expression, and only those', () => {
    const expr = 'sum by (namespace, le) (rate(a_bucket{x="1", y=~"b|c"}[5m])) / on (pod) group_left(version) b_info > 0.25 unless c offset 5m and time() - d:e > 1e3';
    expect(selectors(expr)).toEqual([{ name: 'a_bucket', labels: ['x', 'y'] }, { name: 'b_info', labels: [] }, { name: 'c', labels: [] }, { name: 'd:e', labels: [] }]);
  });
});

describe("the alerts' metrics against a real gate's /metrics", () => {
  let authgear: AuthgearStandIn;
  let redis: RedisServer;
  let gate: Spawned & { url: string };
  let scrape: string;

  beforeAll(async () => {
    authgear = await startAuthgearStandIn();
    redis = await startRedis();
    const metricsPort = await freePort();
    gate = await startGateProcess({
      AUTHGEAR_ENDPOINT: authgear.origin, METRICS_PORT: String(metricsPort), REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET,
      RESOLVER_POSITIVE_TTL_SECONDS: '0', RESOLVER_SERVE_STALE_SECONDS: '60',
    });
    // Traffic that gives every family the alerts use a sample: allowed, denied, resolved,
    // then Authgear down: a stale session, an undecidable one, a key that cannot be fetched.
    const auth = async (headers: Record<string, string>) => (await httpGet(`${gate.url}/auth`, headers)).status;
    const session = authgear.sessions.issue('app_session').value;
    expect(await auth({ authorization: `Bearer ${await authgear.accessToken()}` })).toBe(200);
    expect(await auth({})).toBe(401);
    expect(await auth({ cookie: `app_session=${session}` })).toBe(200);
    authgear.setState('down');
    expect(await auth({ cookie: `app_session=${session}` })).toBe(200);
    expect(await auth({ cookie: `app_session=${authgear.sessions.issue('app_session').value}` })).toBe(503);
    expect(await auth({ authorization: `Bearer ${await authgear.accessToken({ key: await authgear.newUnpublishedKey() })}` })).toBe(401);
    authgear.setState('up');
    scrape = (await httpGet(`http://127.0.0.1:${metricsPort}/metrics`)).body;
  }, 60_000);
  afterAll(async () => {
    await gate?.stop();
    await redis?.stop();
    await authgear?.close();
  });

  it('names only metrics the sidecar exports, with labels its samples carry', () => {
    const used = rules.flatMap((rule) => selectors(rule.expr));
    expect(used.length).toBeGreaterThan(rules.length);
    expect(selectorProblems(used, scrape)).toEqual([]);
  });

  it('would report a metric or a label the sidecar does not export', () => {
    expect(selectorProblems([{ name: 'authgear_gate_made_up_total', labels: [] }, { name: 'authgear_gate_decisions_total', labels: ['made_up'] }, { name: 'authgear_gate_build_info_count', labels: [] }], scrape))
      .toEqual(['authgear_gate_made_up_total is not in /metrics', 'authgear_gate_decisions_total has no label made_up', 'authgear_gate_build_info_count is not in /metrics']);
  });
});
