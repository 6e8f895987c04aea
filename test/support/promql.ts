import { parseSamples } from './prometheus.js';

/** A metric selector of a PromQL expression: the metric name and the label names it matches on. */
export interface Selector {
  name: string;
  labels: string[];
}

const AGGREGATIONS = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio'];
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', ...AGGREGATIONS]);

/**
 * The metric selectors of an expression. A small scanner, not a PromQL parser: enough for
 * the shipped rules, and tested on an expression with every construct they use.
 */
export function selectors(expr: string): Selector[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    // Label lists of by/on/group_left(...) name labels, not metrics; ranges and numbers go too.
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/(?<![\w:])(\d+(ms|[smhdwy]))+(?![\w:])/g, '')
    .replace(/(?<![\w:])\d+(\.\d+)?(e[+-]?\d+)?(?![\w:])/gi, '');
  const found: Selector[] = [];
  for (const match of text.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?(\s*\()?/g)) {
    const [, name, matchers, call] = match;
    if (call || KEYWORDS.has(name!)) continue;
    found.push({ name: name!, labels: [...(matchers ?? '').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((label) => label[1]!) });
  }
  return found;
}

/** Each metric family of a text exposition: its type and the label names its samples carry. */
export function families(text: string): Map<string, { type: string; labels: Map<string, Set<string>> }> {
  const found = new Map<string, { type: string; labels: Map<string, Set<string>> }>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) found.set(name!, { type: type!, labels: new Map() });
  for (const sample of parseSamples(text)) {
    const family = familyOf(sample.name, found);
    if (!family) continue;
    const names = family.labels.get(sample.name) ?? new Set<string>();
    for (const label of Object.keys(sample.labels)) names.add(label);
    family.labels.set(sample.name, names);
  }
  return found;
}

/** The family a sample name belongs to: itself, or a histogram's or summary's _bucket/_count/_sum. */
export function familyOf<T extends { type: string }>(sample: string, known: Map<string, T>): T | undefined {
  if (known.has(sample)) return known.get(sample);
  const suffix = /^(.*)_(bucket|count|sum)$/.exec(sample);
  const family = suffix ? known.get(suffix[1]!) : undefined;
  if (!family) return undefined;
  return family.type === 'histogram' || (family.type === 'summary' && suffix![2] !== 'bucket') ? family : undefined;
}

/** Labels the Prometheus operator gives every target it scrapes, not the sidecar's own. */
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'service', 'endpoint', 'container']);

/** What is wrong with these selectors against a scrape: unknown names, label names no sample has. */
export function selectorProblems(used: readonly Selector[], scrape: string): string[] {
  const known = families(scrape);
  const problems: string[] = [];
  for (const { name, labels } of used) {
    const family = familyOf(name, known);
    if (!family) {
      problems.push(`${name} is not in /metrics`);
      continue;
    }
    const seen = family.labels.get(name);
    if (!seen) problems.push(`${name} has no sample in /metrics, so its labels cannot be checked`);
    else for (const label of labels) if (!seen.has(label) && !TARGET_LABELS.has(label)) problems.push(`${name} has no label ${label}`);
  }
  return problems;
}

/** Renders an annotation the way Prometheus does for templates made only of {{ $labels.x }}. */
export function renderLabels(template: string, labels: Record<string, string>): string {
  const rendered = template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => {
    if (!(name in labels)) throw new Error(`the template uses $labels.${name}, which the alert does not carry`);
    return labels[name]!;
  });
  if (rendered.includes('{{')) throw new Error(`a template construct other than {{ $labels.x }}: ${template}`);
  return rendered;
}
