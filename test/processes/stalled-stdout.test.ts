import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { httpGet, startGateProcess, tempDir, type Spawned } from '../support/processes.js';
import { sumOf, valueOf } from '../support/prometheus.js';

// The built server with a log reader that stops reading (a stalled log collector) or goes
// away (its parent died): the sidecar must keep answering, stay within its memory, count
// what it could not log, and still exit within SHUTDOWN_TIMEOUT_SECONDS.

let authgear: AuthgearStandIn;
let gate: (Spawned & { url: string; port: number }) | undefined;
const opened: number[] = [];

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
});
afterAll(async () => {
  await authgear.close();
});
afterEach(async () => {
  await gate?.stop('SIGKILL');
  gate = undefined;
  for (const fd of opened.splice(0)) closeSync(fd);
});

const SHUTDOWN_TIMEOUT_SECONDS = 3;
const FLOOD = 8000;
const env = () => ({ AUTHGEAR_ENDPOINT: authgear.origin, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS) });

/** A FIFO (an OS pipe of 64 KiB) whose read end stays open and is never read: its writer's writes stall once it is full. */
function stalledPipe(): number {
  const fifo = join(tempDir('stdout'), 'stdout');
  execFileSync('mkfifo', [fifo]);
  opened.push(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
  const writer = openSync(fifo, constants.O_WRONLY);
  opened.push(writer);
  return writer;
}

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/** One /auth request on the agent; a request that gets no answer in 10 s fails the test (the process froze). */
function ask(url: string, agent: http.Agent, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}/auth`, { agent, headers, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy(new Error('no answer in 10 s: the sidecar is frozen')));
    request.on('error', reject);
  });
}

/** `count` denied requests, `concurrency` at a time over keep-alive connections, each with a long path so its log line is large. */
async function flood(url: string, count: number, token: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  // The longest path a request may have (8 KiB): 8000 denials are 67 MB of log text, which an unbounded buffer would keep.
  const path = `/flood/${'a'.repeat(8000)}`;
  // Three reasons: bad_signature, token_malformed, credentials_missing.
  const kinds: Array<Record<string, string>> = [{ authorization: `Bearer ${token.slice(0, -4)}AAAA` }, { authorization: 'Bearer not-a-jwt' }, {}];
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const at = next++;
      const status = await ask(url, agent, { 'x-original-uri': `${path}?n=${at}`, 'x-original-method': 'GET', host: 'app.example.test', ...kinds[at % kinds.length] });
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { statuses, agent };
}

async function timedExit(spawned: Spawned): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => spawned.process.once('exit', (code) => resolve(code)));
  spawned.process.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), (SHUTDOWN_TIMEOUT_SECONDS + 10) * 1000))]);
  return { code, ms: Date.now() - started };
}

describe('a stalled or dead stdout reader', () => {
  it('never freezes the process: thousands of denials, then a valid request answers within 1 s, memory stays bounded, drops are counted, SIGTERM exits in time', { timeout: 120_000 }, async () => {
    const token = await authgear.accessToken();
    // The same flood with a reader that keeps up: what handling the requests alone costs in
    // memory (V8 grows its heap under this load), so that what remains is what logging kept.
    const control = await startGateProcess(env());
    const controlBefore = rssKiB(control.process.pid!);
    const controlFlood = await flood(control.url, FLOOD, token);
    const controlGrowthKiB = rssKiB(control.process.pid!) - controlBefore;
    controlFlood.agent.destroy();
    await control.stop('SIGKILL');

    gate = await startGateProcess(env(), { stdout: stalledPipe() });
    const rssBefore = rssKiB(gate.process.pid!);
    const { statuses, agent } = await flood(gate.url, FLOOD, token);
    expect(Object.fromEntries(statuses)).toEqual({ 401: FLOOD });

    const askedAt = performance.now();
    const valid = await ask(gate.url, agent, { authorization: `Bearer ${token}`, 'x-original-uri': '/ok', 'x-original-method': 'GET', host: 'app.example.test' });
    const answeredInMs = performance.now() - askedAt;
    const rssGrowthKiB = rssKiB(gate.process.pid!) - rssBefore;
    const metrics = (await httpGet(`${gate.url}/metrics`)).body;
    // The agent's connections stay open and idle: shutdown closes them too.
    const { code, ms } = await timedExit(gate);
    agent.destroy();

    expect(valid).toBe(200);
    expect(answeredInMs).toBeLessThan(1000);
    // pino's own destination buffers without bound, and flushes synchronously at exit,
    // retrying EAGAIN forever: the process never exits while its reader stalls.
    expect(code).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS * 1000 + 1500);
    // An unbounded buffer would hold the 67 MB of log text; the bounded one holds 1 Mi characters.
    expect(rssGrowthKiB - controlGrowthKiB, `stalled ${rssGrowthKiB} KiB, control ${controlGrowthKiB} KiB`).toBeLessThan(30 * 1024);
    expect(rssGrowthKiB).toBeLessThan(250 * 1024);
    // Lines that found the buffer full were dropped and counted; every decision is still counted exactly.
    expect(valueOf(metrics, 'authgear_gate_log_lines_dropped_total', { reason: 'buffer_full' })).toBeGreaterThan(0);
    expect(sumOf(metrics, 'authgear_gate_decisions_total', { result: 'deny' })).toBe(FLOOD);
  });

  it('keeps answering when the reader is gone (EPIPE), counts the lost lines, and exits on SIGTERM', { timeout: 60_000 }, async () => {
    gate = await startGateProcess(env());
    gate.process.stdout!.destroy();
    const token = await authgear.accessToken();
    const { statuses, agent } = await flood(gate.url, 300, token);
    expect(Object.fromEntries(statuses)).toEqual({ 401: 300 });
    const askedAt = performance.now();
    expect(await ask(gate.url, agent, { authorization: `Bearer ${token}`, 'x-original-uri': '/ok', 'x-original-method': 'GET', host: 'app.example.test' })).toBe(200);
    expect(performance.now() - askedAt).toBeLessThan(1000);
    const metrics = (await httpGet(`${gate.url}/metrics`)).body;
    expect(valueOf(metrics, 'authgear_gate_log_lines_dropped_total', { reason: 'output_failed' })).toBeGreaterThan(0);
    agent.destroy();
    const { code, ms } = await timedExit(gate);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS * 1000 + 1500);
  });
});
