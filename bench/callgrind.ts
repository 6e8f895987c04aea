import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnProcess, tempDir, type Spawned } from '../test/support/processes.js';

/**
 * What a JIT needs under valgrind: V8 writes code into anonymous memory and rewrites it, so
 * every write to non-file memory is checked for code changes. Instrumentation starts off
 * (warm-up runs ~4x faster) and is switched on just before counting.
 */
export const VALGRIND_ARGS = ['--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no', '--vgdb=yes', '--dump-line=no'];

export interface UnderCallgrind extends Spawned {
  pid: number;
  /** Where the dumps go: `${outFile}.1`, `.2`, ... (callgrind_annotate reads them). */
  outFile: string;
  /** Switches instrumentation on (costly) or off (cheap, nothing counted). */
  instrument(on: boolean): Promise<void>;
  /** Instructions executed by every thread of the process while `work` ran. */
  count(work: () => Promise<void>): Promise<number>;
}

const control = (args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile('callgrind_control', args, { timeout: 60_000 }, (error, out, err) => (error ? reject(new Error(`callgrind_control ${args.join(' ')}: ${error.message}\n${err}`)) : resolve(out))),
  );

/** The `totals:` line of a callgrind dump: the instructions counted since the last zeroing. */
export function readDumpTotal(file: string): number {
  const match = /^totals:\s+(\d+)/m.exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`no totals in ${file}`);
  return Number(match[1]);
}

/** Runs `command args` under valgrind's callgrind, counting nothing until asked. */
export function spawnUnderCallgrind(command: string, args: string[], env: Record<string, string>, options: { cwd?: string } = {}): UnderCallgrind {
  const outFile = join(tempDir('callgrind'), 'callgrind.out');
  const spawned = spawnProcess('valgrind', [...VALGRIND_ARGS, `--callgrind-out-file=${outFile}`, command, ...args], env, options);
  const pid = spawned.process.pid!;
  let dumps = 0;
  return {
    ...spawned,
    pid,
    outFile,
    async instrument(on) {
      await control([`--instr=${on ? 'on' : 'off'}`, String(pid)]);
    },
    async count(work) {
      await control(['--zero', String(pid)]);
      await work();
      await control(['--dump', String(pid)]);
      const file = `${outFile}.${++dumps}`;
      if (!existsSync(file)) throw new Error(`callgrind wrote no ${file}`);
      return readDumpTotal(file);
    },
  };
}
