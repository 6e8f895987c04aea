/** A rule as the trie keeps it: what is left to test once its path prefix has matched. */
export interface RuleEntry {
  /** Position in the policy file: the lowest matching one wins. */
  index: number;
  methods: ReadonlySet<string> | undefined;
  /** Tested on the path after the prefix matched; the prefix is then only a guard. */
  regex: RegExp | undefined;
}

/**
 * A radix trie of path prefixes: the walk reads the path once and meets only the rules whose
 * prefix it starts with, however many rules there are. A rule without a prefix sits at the root.
 */
export interface PrefixTrie {
  /** Rules whose prefix ends here, in policy order. */
  entries: readonly RuleEntry[];
  /** Lowest index here and below: a walk stops where nothing can beat what it already found. */
  lowest: number;
  /** By the first character of each edge's label. */
  edges: ReadonlyMap<number, { label: string; node: PrefixTrie }> | undefined;
}

/** A rule and the prefix every path it matches starts with ('' for any path). */
export interface KeyedEntry {
  prefix: string;
  entry: RuleEntry;
}

const commonPrefixLength = (a: string, b: string, from: number) => {
  let at = from;
  while (at < a.length && at < b.length && a.charCodeAt(at) === b.charCodeAt(at)) at++;
  return at;
};

interface Building {
  entries: readonly RuleEntry[];
  lowest: number;
  edges: Map<number, { label: string; node: PrefixTrie }> | undefined;
}

/**
 * Compiles rules, given in policy order, into a trie. Built without recursion, each level
 * on the sorted prefixes' ranges, so prefixes nested thousands deep cost no stack and no copies.
 */
export function buildPrefixTrie(keyed: readonly KeyedEntry[]): PrefixTrie {
  const entriesOf = new Map<string, RuleEntry[]>([['', []]]);
  for (const { prefix, entry } of keyed) {
    const entries = entriesOf.get(prefix);
    if (entries) entries.push(entry);
    else entriesOf.set(prefix, [entry]);
  }
  // Sorted by UTF-16 code unit, as charCodeAt reads them: a prefix comes before its extensions.
  const prefixes = [...entriesOf.keys()].sort();
  const nodes: Array<{ node: Building; parent: Building | undefined }> = [];
  // Each range of `prefixes` shares its first `depth` characters; the edge into its node
  // reads them from `parentDepth` on.
  const pending: Array<{ start: number; end: number; depth: number; parentDepth: number; parent: Building | undefined }> = [
    { start: 0, end: prefixes.length, depth: 0, parentDepth: 0, parent: undefined },
  ];
  for (let work = pending.pop(); work !== undefined; work = pending.pop()) {
    const { end, depth, parent } = work;
    let start = work.start;
    const entries = prefixes[start]!.length === depth ? entriesOf.get(prefixes[start++]!)! : [];
    const node: Building = { entries, lowest: entries[0]?.index ?? Infinity, edges: undefined };
    if (parent) {
      const label = prefixes[work.start]!.slice(work.parentDepth, depth);
      parent.edges!.set(label.charCodeAt(0), { label, node });
    }
    nodes.push({ node, parent });
    while (start < end) {
      const first = prefixes[start]!.charCodeAt(depth);
      let groupEnd = start + 1;
      while (groupEnd < end && prefixes[groupEnd]!.charCodeAt(depth) === first) groupEnd++;
      // Sorted, so what the first and last of the group share, the whole group shares.
      const shared = commonPrefixLength(prefixes[start]!, prefixes[groupEnd - 1]!, depth + 1);
      node.edges ??= new Map();
      pending.push({ start, end: groupEnd, depth: shared, parentDepth: depth, parent: node });
      start = groupEnd;
    }
  }
  // Children come after their parents, so backwards every node is complete before its parent.
  for (let at = nodes.length - 1; at > 0; at--) {
    const { node, parent } = nodes[at]!;
    parent!.lowest = Math.min(parent!.lowest, node.lowest);
  }
  return nodes[0]!.node;
}

/** The lowest index in [from, bound) among the entries that match, else bound. */
function firstPassing(entries: readonly RuleEntry[], path: string, method: string, from: number, bound: number): number {
  for (const entry of entries) {
    if (entry.index >= bound) break;
    if (entry.index < from) continue;
    if (entry.methods !== undefined && !entry.methods.has(method)) continue;
    if (entry.regex !== undefined && !entry.regex.test(path)) continue;
    return entry.index;
  }
  return bound;
}

/**
 * The lowest index in [from, bound) of a rule in the trie that matches the path and method,
 * else bound. Passing the best found elsewhere as bound spares regexes that could not win.
 */
export function lowestMatch(trie: PrefixTrie, path: string, method: string, from: number, bound: number): number {
  let node = trie;
  let at = 0;
  while (node.lowest < bound) {
    bound = firstPassing(node.entries, path, method, from, bound);
    const edge = node.edges?.get(path.charCodeAt(at));
    if (edge === undefined || !path.startsWith(edge.label, at)) break;
    at += edge.label.length;
    node = edge.node;
  }
  return bound;
}
