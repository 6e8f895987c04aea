import type { Spawned } from './processes.js';

/** The JSON log lines a built sidecar wrote so far (its stdout), parsed; other output left out. */
export function logLines(gate: Pick<Spawned, 'output'>): Array<Record<string, unknown>> {
  return gate
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
