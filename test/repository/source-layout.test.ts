import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/processes.js';

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

describe('the source layout', () => {
  it('has no import circle, type-only imports included', () => {
    expect(findCycles(importGraph())).toEqual([]);
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
