import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, REPO } from '../support/processes.js';
import { waitFor } from '../support/wait-for.js';

interface Printed {
  command: string;
  expectStatus: number;
}

/** The curl lines the demo printed, each with the status it promised under it. */
function printedExamples(output: string): Printed[] {
  const lines = output.split('\n');
  return lines.flatMap((line, at) => {
    const promised = /^#\s+expect: (\d{3}) /.exec(lines[at + 1] ?? '');
    return line.startsWith('curl ') && promised ? [{ command: line, expectStatus: Number(promised[1]) }] : [];
  });
}

let demo: ChildProcess | undefined;
afterEach(() => {
  if (demo?.exitCode === null) demo.kill('SIGKILL');
});

beforeAll(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.demo.json'], { cwd: REPO, stdio: 'inherit' });
}, 120_000);

async function runDemo(path: string): Promise<{ output: () => string; exited: Promise<number | null> }> {
  demo = spawn(process.execPath, [join(REPO, '.tmp/demo-build/scripts/demo/demo.js')], { cwd: REPO, env: { ...process.env, PATH: path }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  demo.stdout!.on('data', (chunk) => { output += chunk; });
  demo.stderr!.on('data', (chunk) => { output += chunk; });
  const exited = new Promise<number | null>((done) => demo!.on('exit', (code) => done(code)));
  await waitFor(async () => {
    if (demo!.exitCode !== null) throw new Error(`demo exited: ${output}`);
    return output.includes('Ctrl-C stops everything.');
  }, 30_000, 'the demo to print its examples');
  return { output: () => output, exited };
}

describe.each([
  ['with nginx in front', process.env.PATH ?? ''],
  // nginx lives in /usr/sbin: a PATH without it is a machine without nginx.
  ['without nginx', [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':')],
])('npm run demo, %s', (variant, path) => {
  it('answers every printed command as it promised, and Ctrl-C stops everything it started', async () => {
    const run = await runDemo(path);
    const examples = printedExamples(run.output());
    expect(examples.map((example) => example.expectStatus)).toEqual([200, 401, 401, 200, 403, 200, 401, 200, 401]);
    expect(run.output().includes('nginx/nginx.conf as shipped'), variant).toBe(variant === 'with nginx in front');
    for (const example of examples) {
      const answer = execFileSync('bash', ['-c', example.command], { encoding: 'utf8' });
      expect(answer.split('\r\n')[0], example.command.slice(0, 80)).toMatch(new RegExp(`^HTTP/1\\.1 ${example.expectStatus} `));
      if (variant === 'with nginx in front' && example.expectStatus === 200) expect(answer).toContain('"x-authgear-user-id"');
    }
    const urls = [...run.output().matchAll(/(http:\/\/127\.0\.0\.1:\d+)\s/g)].map((match) => match[1]!);
    expect(urls.length).toBeGreaterThanOrEqual(3);
    demo!.kill('SIGINT');
    expect(await run.exited).toBe(0);
    for (const url of urls) await expect(httpGet(`${url}/healthz`), url).rejects.toThrow();
  }, 90_000);
});
