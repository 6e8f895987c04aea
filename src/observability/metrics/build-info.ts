import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Gauge, type Registry } from 'prom-client';

/** authgear_gate_build_info: always 1, labelled with the sidecar's version and Node's. */
export function registerBuildInfo(registers: Registry[], version: string | undefined): void {
  const buildInfo = new Gauge({ name: 'authgear_gate_build_info', help: 'Always 1: which version of the sidecar runs, on which Node.', labelNames: ['version', 'node_version'] as const, registers });
  buildInfo.set({ version: version ?? packageVersion(), node_version: process.version }, 1);
}

/** The nearest package.json above this file: the project's, from src/ under vitest and from dist/. */
export function packageVersion(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  }
  return 'unknown';
}
