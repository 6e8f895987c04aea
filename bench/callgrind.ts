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
  count(work: () => Promise<void>): Promise<DumpCost>;
}

const control = (args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile('callgrind_control', args, { timeout: 60_000 }, (error, out, err) => (error ? reject(new Error(`callgrind_control ${args.join(' ')}: ${error.message}\n${err}`)) : resolve(out))),
  );

export interface DumpCost {
  /** Every instruction counted since the last zeroing. */
  total: number;
  /** Those of V8's compilers (parser, bytecode, Sparkplug, Maglev, TurboFan, regexp). */
  compiler: number;
}

// V8 compiles in bursts long after a warm-up (Node's http code keeps being deoptimized and
// re-optimized), one burst worth tens of thousands of instructions per request of a count:
// the compilers' own functions are counted apart, so the rest can be compared count to count.
const COMPILER = /v8::internal::(compiler::|maglev::|baseline::|interpreter::Bytecode|Parser|Scanner|Zone::|OptimizingCompile|Compiler::|RegExpCompiler)|turboshaft|CompilationJob/;

/** Self cost per function from a callgrind dump (the format of callgrind's manual, names compressed). */
export function readDumpCost(text: string): DumpCost {
  const names = new Map<string, string>();
  let compiling = false;
  let callCost = false;
  let total = 0;
  let compiler = 0;
  for (const line of text.split('\n')) {
    const first = line.charCodeAt(0);
    // Cost lines start with a position: a number, +n, -n or *.
    if ((first >= 48 && first <= 57) || line[0] === '+' || line[0] === '-' || line[0] === '*') {
      // The line after calls= is the callee's inclusive cost, already counted in the callee.
      if (callCost) {
        callCost = false;
        continue;
      }
      const cost = Number(line.split(' ')[1] ?? 0);
      total += cost;
      if (compiling) compiler += cost;
    } else if (line.startsWith('fn=') || line.startsWith('cfn=')) {
      const match = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
      if (!match) continue;
      if (match[2] !== undefined) names.set(match[1]!, match[2]);
      if (line.startsWith('fn=')) compiling = COMPILER.test(names.get(match[1]!) ?? '');
    } else if (line.startsWith('calls=')) {
      callCost = true;
    }
  }
  return { total, compiler };
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
      const text = readFileSync(file, 'utf8');
      const cost = readDumpCost(text);
      const stated = /^totals:\s+(\d+)/m.exec(text)?.[1];
      if (Number(stated) !== cost.total) throw new Error(`${file}: read ${cost.total} instructions, callgrind says ${stated}`);
      return cost;
    },
  };
}
