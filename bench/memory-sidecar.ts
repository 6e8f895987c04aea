import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateProcess, tempDir, type Spawned } from '../test/support/processes.js';
import { waitFor } from '../test/support/wait-for.js';
import type { ProbeReading } from './memory-probe.js';
import { readRssMb } from './proc.js';

const PROBE = fileURLToPath(new URL('./memory-probe.js', import.meta.url));
const MB = 1024 * 1024;

export interface ProbedSidecar extends Spawned {
  url: string;
  pid: number;
  /** RSS now, in MB: the median of five readings 100 ms apart. */
  rssMb(): Promise<number>;
  /** RSS and live heap after a full collection, in MB. */
  collected(): Promise<{ rssMb: number; heapMb: number }>;
}

/**
 * The built server as it ships, plus the bench's probe: it serves exactly as without it, and
 * answers SIGUSR2 with its memory after a full collection (memory-probe.ts).
 */
export async function startProbedSidecar(env: Record<string, string>): Promise<ProbedSidecar> {
  const file = join(tempDir('memory-probe'), 'reading.json');
  const gate = await startGateProcess({ ...env, MEMORY_PROBE_FILE: file }, { nodeArgs: ['--expose-gc', '--import', PROBE] });
  const pid = gate.process.pid!;
  return {
    ...gate,
    pid,
    rssMb: () => medianRssMb(pid),
    async collected() {
      rmSync(file, { force: true });
      process.kill(pid, 'SIGUSR2');
      await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').length > 0, 30_000, 'the memory probe to answer');
      const reading = JSON.parse(readFileSync(file, 'utf8')) as ProbeReading;
      return { rssMb: reading.rss / MB, heapMb: reading.heapUsed / MB };
    },
  };
}

/** The median of five RSS readings 100 ms apart: one reading may catch a collection half-way. */
export async function medianRssMb(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let index = 0; index < 5; index++) {
    readings.push(readRssMb(pid));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return readings.sort((a, b) => a - b)[2]!;
}
