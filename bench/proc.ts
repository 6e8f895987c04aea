import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The documented memory bound of the sidecar (docs/performance.md, Memory): a fixed part plus a
 * budget per cached token, both from npm run bench:memory. A typical Authgear token's entry
 * holds 1.1 KB of live heap, but without a heap cap V8 lets garbage build up before a full
 * collection, by how much depending on the machine: a million tokens through 100,000 entries
 * peaked at 426 and 470 MB on a 2-vCPU AMD machine, and at 625 MB on a faster Intel one
 * with 24 GB (4 KB per entry held on the first, not on the second). 10,000 entries peaked
 * at 206 MB. A cap (--max-old-space-size, as deploy/ sets) holds RSS far lower.
 */
export const FIXED_MB = 200;
export const PER_ENTRY_KB = 5;
export const memoryBoundMb = (cacheEntries: number) => Math.round(FIXED_MB + (cacheEntries * PER_ENTRY_KB) / 1024);

/** Resident set size of a process, from /proc (Linux). */
export function readRssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

/** Samples RSS every 100 ms so the peak between checkpoints is not missed. */
export function startRssSampler(pid: number) {
  let peak = readRssMb(pid);
  let current = peak;
  const timer = setInterval(() => {
    try {
      current = readRssMb(pid);
      peak = Math.max(peak, current);
    } catch {
      // The process has exited; the last sample stands.
    }
  }, 100);
  return {
    currentMb: () => current,
    peakMb: () => peak,
    stop: () => clearInterval(timer),
  };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface ProcStat {
  ppid: number;
  /** Its own CPU (all its threads) and that of the children it has waited for, in ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // Gone between the listing and the read.
  }
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) };
}

/**
 * CPU time (user + system) used by processes and all their descendants (nginx's workers,
 * Apache's children, every thread of each), from /proc (Linux). A child that exited and was
 * waited for still counts, in its parent's figure: Apache may replace children mid-run.
 */
export function readTreeCpuSeconds(roots: readonly number[]): number {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.set(Number(name), stat);
  }
  const inTree = new Set(roots);
  // Descendants: repeat until no process joins (a child may be listed before its parent).
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, stat] of stats) {
      if (!inTree.has(pid) && inTree.has(stat.ppid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of inTree) ticks += stats.get(pid)?.ticks ?? 0;
  return ticks / CLOCK_TICKS;
}
