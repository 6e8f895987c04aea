import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/processes.js';

// The pages whose every configuration block is an excerpt of a shipped example that a test
// runs: each block must appear, verbatim, in the last file the page named before it.
const PAGES = ['docs/migrating.md', 'docs/websockets.md', 'docs/rate-limiting.md'];
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const isFile = (path: string) => existsSync(join(REPO, path)) && statSync(join(REPO, path)).isFile();

/** Every fenced block of a page, with the last existing file named in a code span before it. */
function blocksWithSource(text: string): Array<{ line: number; source: string | undefined; body: string }> {
  const blocks: Array<{ line: number; source: string | undefined; body: string }> = [];
  let source: string | undefined;
  let open: { line: number; lines: string[] } | undefined;
  text.split('\n').forEach((line, index) => {
    if (/^\s*```/.test(line)) {
      if (open) blocks.push({ line: open.line, source, body: `${open.lines.join('\n')}\n` });
      open = open ? undefined : { line: index + 1, lines: [] };
    } else if (open) open.lines.push(line);
    else for (const [, span] of line.matchAll(/`([^`]+)`/g)) if (isFile(span!)) source = span;
  });
  return blocks;
}

const tests = ['migrating', 'websockets', 'rate-limiting', 'nginx-examples'].map((name) => read(`test/gateways/${name}.test.ts`)).join('\n');

describe.each(PAGES)('%s', (page) => {
  const blocks = blocksWithSource(read(page));

  it('has configuration blocks', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks.map((block) => [block.line, block] as const))('the block at line %i is the text of the shipped file it names, which a test runs', (_line, block) => {
    expect(block.source, 'no file named before the block').toBeDefined();
    expect(read(block.source!)).toContain(block.body);
    expect(tests).toContain(block.source!.split('/').pop()!);
  });
});
