import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REASON_HEADER } from '../support/answers.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { logLines } from '../support/gate-logs.js';
import { configMapVolume, replaceFile } from '../support/policy-files.js';
import { httpGet, startGateProcess, tempDir, type Spawned } from '../support/processes.js';
import { valueOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait-for.js';

// Two policies that answer /s/ differently: A lets everyone through (public) after judging
// its report-only first rule, B closes it. A request judged by A's first rule and then by
// B's rules after it would meet b-gamma (missing_role): an answer of neither policy.
const A = `
rules:
  - { name: a-shadow, match: { path_prefix: /s/ }, enforce: false, roles: [nobody] }
  - { name: a-open, match: { path_prefix: /s/ }, access: public }
`;
const B = `
rules:
  - { name: b-closed, match: { path_prefix: /s/ }, access: deny }
  - { name: b-gamma, match: { path_prefix: /s/ }, roles: [gamma] }
`;
const ANSWER_A = '200 public';
const ANSWER_B = '403 route_denied';

let authgear: AuthgearStandIn;
let token: string;
let gate: (Spawned & { url: string }) | undefined;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  token = await authgear.accessToken();
});
afterAll(async () => { await authgear.close(); });
afterEach(async () => {
  await gate?.stop();
  gate = undefined;
});

const start = async (policyFile: string) => (gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, POLICY_FILE: policyFile, LOG_LEVEL: 'info' }));

/** One answer for /s/1, as the policy that gave it says it: status and reason, `public` for a 200 without identity. */
async function answer(): Promise<string> {
  const response = await fetch(`${gate!.url}/auth`, { headers: { 'x-original-uri': '/s/1', 'x-original-host': 'app.example.test', authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  const reason = response.headers.get(REASON_HEADER) ?? (response.headers.has('x-authgear-session-valid') ? 'allowed' : 'public');
  return `${response.status} ${reason}`;
}
const metric = async (name: string, labels: Record<string, string> = {}) => valueOf((await httpGet(`${gate!.url}/metrics`)).body, name, labels);

describe('POLICY_FILE reloaded by the built server', () => {
  it('under load, answers every request by one whole policy, never an error or a mixture, and the last written applies', async () => {
    const file = join(tempDir('reload'), 'policy.yaml');
    replaceFile(file, A);
    await start(file);
    expect(await answer()).toBe(ANSWER_A);
    const answers = new Map<string, number>();
    let writing = true;
    const client = async () => {
      while (writing) {
        const given = await answer();
        answers.set(given, (answers.get(given) ?? 0) + 1);
      }
    };
    const clients = [client(), client(), client()];
    for (let write = 1; write <= 40; write++) {
      replaceFile(file, write % 2 === 0 ? A : B);
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 130));
    }
    replaceFile(file, B);
    await waitFor(async () => (await answer()) === ANSWER_B, 10_000, 'the last policy written to apply');
    writing = false;
    await Promise.all(clients);
    expect([...answers.keys()].sort()).toEqual([ANSWER_A, ANSWER_B].filter((each) => answers.has(each)).sort());
    expect(answers.get(ANSWER_A)).toBeGreaterThan(0);
    for (let after = 0; after < 20; after++) expect(await answer()).toBe(ANSWER_B);
    expect(await metric('authgear_gate_policy_reload_total', { result: 'success' })).toBeGreaterThan(1);
    expect(await metric('authgear_gate_policy_reload_total', { result: 'failure' })).toBe(0);
    expect(await metric('authgear_gate_policy_file_valid')).toBe(1);
  }, 60_000);

  it('keeps an invalid file out: the old policy answers, the log lists every problem, the metrics say so', async () => {
    const file = join(tempDir('reload'), 'policy.yaml');
    replaceFile(file, A);
    await start(file);
    const loadedAt = await metric('authgear_gate_policy_last_reload_success_timestamp_seconds');
    expect(loadedAt).toBeGreaterThan(0);
    replaceFile(file, 'rules:\n  - { match: { path_prefix: admin }, access: sometimes }\n');
    await waitFor(async () => (await metric('authgear_gate_policy_reload_total', { result: 'failure' })) === 1, 10_000, 'the reload to fail');
    expect(await metric('authgear_gate_policy_file_valid')).toBe(0);
    expect(await answer()).toBe(ANSWER_A);
    const refused = logLines(gate!).find((line) => line.msg === 'policy file not applied: it is not valid, the last good policy stays in use');
    expect(refused).toMatchObject({ level: 50, trigger: 'file', path: file });
    expect(refused!.problems).toHaveLength(2);
    expect(refused!.problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^POLICY_FILE: rules\.0\.match\.path_prefix: a path prefix starts with \//),
      expect.stringMatching(/^POLICY_FILE: rules\.0\.access: .*"public"\|"authenticated"\|"deny"/),
    ]));
    replaceFile(file, B);
    await waitFor(async () => (await answer()) === ANSWER_B, 10_000, 'the fixed file to apply');
    expect(await metric('authgear_gate_policy_file_valid')).toBe(1);
    expect(await metric('authgear_gate_policy_last_reload_success_timestamp_seconds')).toBeGreaterThanOrEqual(loadedAt);
  });

  it('follows a ConfigMap update: the ..data symlink renamed over, the old directory removed', async () => {
    const volume = configMapVolume(tempDir('configmap'), { 'policy.yaml': A });
    await start(volume.path('policy.yaml'));
    expect(await answer()).toBe(ANSWER_A);
    volume.update({ 'policy.yaml': B });
    await waitFor(async () => (await answer()) === ANSWER_B, 10_000, 'the swapped ConfigMap to apply');
    // The file's own watch followed the removed inode: it was watched afresh, and so was every later swap.
    volume.update({ 'policy.yaml': A });
    await waitFor(async () => (await answer()) === ANSWER_A, 10_000, 'the second swap to apply');
    expect(await metric('authgear_gate_policy_reload_total', { result: 'failure' })).toBe(0);
  });

  it('follows a file written in place too, reloads on SIGHUP, and without a policy file only says so', async () => {
    const file = join(tempDir('reload'), 'policy.yaml');
    replaceFile(file, A);
    await start(file);
    writeFileSync(file, B);
    await waitFor(async () => (await answer()) === ANSWER_B, 10_000, 'the file written in place to apply');
    gate!.process.kill('SIGHUP');
    await waitFor(() => logLines(gate!).some((line) => line.msg === 'policy reloaded' && line.trigger === 'signal'), 10_000, 'the SIGHUP reload');
    await gate!.stop();
    gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, LOG_LEVEL: 'info' });
    gate.process.kill('SIGHUP');
    await waitFor(() => logLines(gate!).some((line) => line.msg === 'no POLICY_FILE to reload'), 10_000, 'the SIGHUP line');
    expect((await httpGet(`${gate.url}/healthz`)).status).toBe(200);
  });
});
