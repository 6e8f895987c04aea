import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/processes.js';

const SRC = join(REPO, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Each module's relative imports, type-only ones included: a type in the wrong place still ties two modules together. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)].map((match) => resolve(dirname(file), `${match[1]}.ts`));
    graph.set(file, targets);
  }
  return graph;
}

function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next].map((file) => relative(SRC, file)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/**
 * The layers, lowest first: a module may import its own layer and those below it, never one
 * above. Errors are the vocabulary; upstream calls and caches know nothing of the domain; the
 * OIDC keys know nothing of a decision; the decision knows no transport, no resolver client
 * and no configuration; the resolver implements the decision's interface; configuration is
 * parsed into the decision's vocabulary; signed assertions decorate the decision with the
 * keys the configuration read; observers watch all of these; gateways read and
 * write the protocols, and the HTTP apps serve them; composition wires; the gate builds it
 * all; the server runs it.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['errors.ts'],
  ['upstream/', 'cache/'],
  ['oidc/'],
  ['decision/'],
  ['resolver/', 'config/', 'assertion/'],
  ['observability/'],
  ['gateways/', 'ops/'],
  ['http/'],
  ['composition/'],
  ['gate.ts'],
  ['server.ts'],
];

function layerOf(file: string): number {
  const path = relative(SRC, file);
  const layer = LAYERS.findIndex((prefixes) => prefixes.some((prefix) => (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix)));
  if (layer === -1) throw new Error(`${path} is in no layer of LAYERS`);
  return layer;
}

/** Every import that points to a higher layer, as `from -> to`. */
function upwardImports(graph: Map<string, string[]>): string[] {
  return [...graph].flatMap(([from, targets]) =>
    targets.filter((to) => layerOf(to) > layerOf(from)).map((to) => `${relative(SRC, from)} -> ${relative(SRC, to)}`),
  );
}

describe('the source layout', () => {
  it('points every import down the layers (or across one), never up', () => {
    expect(upwardImports(importGraph())).toEqual([]);
  });

  it('finds an upward import when there is one', () => {
    const graph = new Map([[join(SRC, 'decision/decide.ts'), [join(SRC, 'gateways/listener.ts')]], [join(SRC, 'cache/cache.ts'), [join(SRC, 'errors.ts')]]]);
    expect(upwardImports(graph)).toEqual(['decision/decide.ts -> gateways/listener.ts']);
  });

  it('has no import circle, type-only imports included', () => {
    expect(findCycles(importGraph())).toEqual([]);
  });

  // Optional parts cost nothing when off: signed assertions are loaded only when configured.
  it('loads src/assertion/ only through the dynamic import in src/composition/', () => {
    const importers = sourceFiles(SRC)
      .filter((file) => !relative(SRC, file).startsWith('assertion/'))
      .flatMap((file) => {
        const text = readFileSync(file, 'utf8');
        const imports = [...text.matchAll(/(import\s*\(|from)\s*'(\.{1,2}\/[^']+)'/g)].filter((match) => resolve(dirname(file), match[2]!).startsWith(join(SRC, 'assertion/')));
        return imports.map((match) => `${relative(SRC, file)} ${match[1]!.startsWith('import') ? 'dynamic' : 'static'}`);
      });
    expect(importers).toEqual(['composition/assertions.ts dynamic']);
  });

  it('keeps process side effects in server.ts alone', () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => !file.endsWith('/server.ts'))
      .filter((file) => /\bprocess\.(exit|on|env|stdout|stderr|argv)\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(offenders).toEqual([]);
  });

  it('reads the configuration in one place: components get narrow options from src/composition/', () => {
    const readers = sourceFiles(SRC)
      .filter((file) => /import[^;]*\bConfig\b[^;]*from '[^']*config\/load-config\.js'/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file))
      .filter((file) => !file.startsWith('composition/') && !file.startsWith('config/'))
      .sort();
    expect(readers).toEqual(['gate.ts', 'server.ts']);
  });

  it('keeps no loose modules beside the entry point and the composition root', () => {
    const loose = readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name).sort();
    expect(loose).toEqual(['errors.ts', 'gate.ts', 'server.ts']);
  });
});
