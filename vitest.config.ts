import { defineConfig } from 'vitest/config';

/**
 * One project per kind of test, each a folder of test/, so a run can say what it is and any
 * kind can run alone (`npx vitest run --project unit`); `npm test` runs them all:
 * - unit: pure functions, nothing listening;
 * - in-process: the gate built in this process (startTestGate) against a local Authgear stand-in;
 * - processes: the built server as it ships (node dist/server.js), and other node processes;
 * - gateways: real nginx, Caddy and Redis in front of or beside the built server;
 * - repository: the docs, manifests, Dockerfile and source layout held to the code.
 */
const PROJECTS = ['unit', 'in-process', 'processes', 'gateways', 'repository'] as const;

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: PROJECTS.map((name) => ({ extends: true, test: { name, include: [`test/${name}/**/*.test.ts`] } })),
  },
});
