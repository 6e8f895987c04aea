// Preloaded (node --expose-gc --import) into a sidecar that npm run bench:memory measures; never
// part of the service. On SIGUSR2 it collects every piece of garbage and writes the process's
// memory to MEMORY_PROBE_FILE, so a figure per cached token compares two states after a full
// collection and not two moments between collections.
import { writeFileSync } from 'node:fs';

export interface ProbeReading {
  rss: number;
  heapUsed: number;
}

type CollectGarbage = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

const file = process.env['MEMORY_PROBE_FILE'];
const collect = (globalThis as { gc?: CollectGarbage }).gc;
if (file && collect) {
  process.on('SIGUSR2', () => {
    collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const { rss, heapUsed } = process.memoryUsage();
    writeFileSync(file, JSON.stringify({ rss, heapUsed } satisfies ProbeReading));
  });
}
