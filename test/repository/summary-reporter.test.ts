import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO } from '../support/processes.js';

it('closes with a line that counts a file failing outside its tests (a beforeAll) as a failure', () => {
  const run = spawnSync(process.execPath, [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/reporter/vitest.config.ts'], {
    cwd: REPO, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true', NO_COLOR: '1' },
  });
  expect(run.status).toBe(1);
  // mixed: 1 passed, 1 failed; failing-hook: its 2 tests skipped, the file itself failed.
  expect(run.stdout).toMatch(/^tests: 1 passed, 2 failed, 2 skipped$/m);
}, 120_000);
