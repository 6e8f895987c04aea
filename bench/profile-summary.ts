// Reads a .cpuprofile (from npm run bench -- --profile DIR) and prints where the time went:
// self time per function, and inclusive time of this project's own functions.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: node .tmp/bench-build/bench/profile-summary.js FILE.cpuprofile [top] (built by npm run bench)');
const top = Number(process.argv[3] ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const label = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, 'dist/').replace(/^node:/, '');
  return `${functionName || '(anonymous)'} ${where}${where ? `:${lineNumber + 1}` : ''}`;
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
function walk(node: ProfileNode, onStack: Set<string>): number {
  const name = label(node);
  let hits = node.hitCount ?? 0;
  self.set(name, (self.get(name) ?? 0) + hits);
  const entered = !onStack.has(name);
  if (entered) onStack.add(name);
  for (const child of node.children ?? []) hits += walk(byId.get(child)!, onStack);
  if (entered) {
    onStack.delete(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + hits);
  }
  return hits;
}
total = walk(profile.nodes[0]!, new Set());

const print = (title: string, table: Map<string, number>, filter: (name: string) => boolean = () => true) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, hits] of [...table].filter(([name]) => filter(name)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((hits / total) * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  }
};
print('self time', self);
print('inclusive time, this project', inclusive, (name) => name.includes('dist/'));
print('inclusive time, everything', inclusive);
