import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../test/support/processes.js';

// From the source tree: the bench runs compiled (.tmp/bench-build), where tsc copies no Lua.
const SCRIPT = join(REPO, 'bench/wrk.lua');

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  headers?: Record<string, string>;
  /** One header value per request, taken in turn from a file (e.g. distinct bearer tokens). */
  cycle?: { file: string; header: string; prefix: string };
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers with status >= 400: all of them on a 401 row, none on any other. */
  statusErrors: number;
  /** Connect, read, write errors and timeouts: a healthy run has none. */
  socketErrors: number;
  /** Which they were, for the error message: "read 1, timeout 2". */
  socketErrorKinds: string;
}

interface WrkReport {
  requests: number;
  durationUs: number;
  p50Us: number;
  p99Us: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

/** One wrk run (one thread: the other core is the server's), loopback only, bounded by `seconds`. */
export async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const { hostname } = new URL(options.url);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost') throw new Error(`refusing to load a non-loopback address: ${options.url}`);
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '2s', '-s', SCRIPT];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(options.url);
  const { cycle } = options;
  const env = { ...process.env, ...(cycle ? { WRK_VALUE_FILE: cycle.file, WRK_VALUE_HEADER: cycle.header, WRK_VALUE_PREFIX: cycle.prefix } : {}) };
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('wrk', args, { env, timeout: (options.seconds + 30) * 1000 }, (error, out, err) =>
      error ? reject(new Error(`wrk failed: ${error.message}\n${err}`)) : resolve(out),
    );
  });
  const line = stdout.split('\n').find((text) => text.startsWith('WRK_RESULT '));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const report = JSON.parse(line.slice('WRK_RESULT '.length)) as WrkReport;
  const { connect, read, write, status, timeout } = report.errors;
  return {
    requests: report.requests,
    requestsPerSecond: report.requests / (report.durationUs / 1e6),
    p50Ms: report.p50Us / 1000,
    p99Ms: report.p99Us / 1000,
    statusErrors: status,
    socketErrors: connect + read + write + timeout,
    socketErrorKinds: Object.entries({ connect, read, write, timeout }).filter(([, count]) => count > 0).map(([kind, count]) => `${kind} ${count}`).join(', '),
  };
}
