import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The documented memory bound of the sidecar (README, Performance): a fixed part (Node, the
 * code, buffers of busy connections) plus a budget per cached token. A typical Authgear
 * token's entry holds 1.1 KB of live heap; V8 lets garbage grow to about twice the live
 * heap before a full collection, and a million tokens peaked at 3.5 KB per entry, so 4.
 */
export const FIXED_MB = 100;
export const PER_ENTRY_KB = 4;
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

/** CPU time (user + system) a process has used, from /proc (Linux). */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
