import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { REPO } from '../support/processes.js';

const PROJECTS = ['unit', 'in-process', 'processes', 'gateways', 'repository'];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? (['fixtures', 'schemas', 'support', 'node_modules'].includes(entry.name) ? [] : testFiles(join(dir, entry.name))) : entry.name.endsWith('.test.ts') ? [join(dir, entry.name)] : [],
  );
}

// vitest.config.ts runs test/<project>/**: a test file anywhere else would never run.
it('keeps every test file in the folder of one vitest project', () => {
  const stray = testFiles(join(REPO, 'test')).map((file) => relative(join(REPO, 'test'), file)).filter((file) => !PROJECTS.includes(file.split('/')[0]!));
  expect(stray).toEqual([]);
  for (const project of PROJECTS) expect(testFiles(join(REPO, 'test', project)).length, project).toBeGreaterThan(0);
});
