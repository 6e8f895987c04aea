import { buildPrefixTrie, lowestMatch, type KeyedEntry, type PrefixTrie } from './prefix-trie.js';

/**
 * Rules grouped by the hosts they name, each group in its own prefix trie: a request meets
 * only the rules for its exact host, for each `*.` suffix of it and for any host, so a
 * gateway with a rule per tenant host pays for its own tenant's rules alone.
 */
export interface HostIndex {
  exact: ReadonlyMap<string, PrefixTrie>;
  /** Keyed by what `*.example.com` asks the hostname to end with: `.example.com`. */
  bySuffix: ReadonlyMap<string, PrefixTrie>;
  /** Rules that name no host. */
  anyHost: PrefixTrie | undefined;
}

/** A rule's hosts (undefined: any host) and its entry; given in policy order. */
export interface HostedEntry {
  hosts: readonly string[] | undefined;
  keyed: KeyedEntry;
}

function addTo(groups: Map<string, KeyedEntry[]>, key: string, keyed: KeyedEntry): void {
  const group = groups.get(key);
  // A host named twice by one rule must not put the rule twice in one trie node.
  if (group?.at(-1) === keyed) return;
  if (group) group.push(keyed);
  else groups.set(key, [keyed]);
}

const tries = (groups: Map<string, KeyedEntry[]>) => new Map([...groups].map(([key, keyed]) => [key, buildPrefixTrie(keyed)]));

export function buildHostIndex(rules: readonly HostedEntry[]): HostIndex {
  const exact = new Map<string, KeyedEntry[]>();
  const bySuffix = new Map<string, KeyedEntry[]>();
  const anyHost: KeyedEntry[] = [];
  for (const { hosts, keyed } of rules) {
    if (hosts === undefined) anyHost.push(keyed);
    else for (const host of hosts) {
      if (host.startsWith('*.')) addTo(bySuffix, host.slice(1), keyed);
      else addTo(exact, host, keyed);
    }
  }
  return { exact: tries(exact), bySuffix: tries(bySuffix), anyHost: anyHost.length > 0 ? buildPrefixTrie(anyHost) : undefined };
}

/**
 * The lowest index in [from, bound) of a rule matching the canonical hostname (no port),
 * path and method, else bound. The groups are searched one after the other, each bounded by
 * the best so far: the answer is the lowest over all of them, as a scan in order would find.
 */
export function lowestForHost(index: HostIndex, hostname: string, path: string, method: string, from: number, bound: number): number {
  const exact = index.exact.get(hostname);
  if (exact !== undefined) bound = lowestMatch(exact, path, method, from, bound);
  if (index.bySuffix.size > 0) {
    // `a.b.example.com` asks for `.b.example.com`, `.example.com` and `.com`: a suffix is
    // what `*.x` means exactly when it starts at a dot.
    for (let dot = hostname.indexOf('.'); dot !== -1; dot = hostname.indexOf('.', dot + 1)) {
      const suffix = index.bySuffix.get(hostname.slice(dot));
      if (suffix !== undefined) bound = lowestMatch(suffix, path, method, from, bound);
    }
  }
  if (index.anyHost !== undefined) bound = lowestMatch(index.anyHost, path, method, from, bound);
  return bound;
}
