// npm run demo: the sidecar as it ships, a local Authgear stand-in (discovery, JWKS, resolver,
// users and sessions), an echo app and, when nginx is installed, real nginx running
// nginx/nginx.conf in front of it; then ready-to-paste curl lines. Ctrl-C stops everything.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startAuthgearStandIn } from '../../test/support/authgear-stand-in.js';
import { REPO, startEchoUpstream, startGateProcess, startNginx } from '../../test/support/processes.js';
import { buildExamples } from './examples.js';

const hasNginx = spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0;
const stoppers: Array<() => Promise<unknown>> = [];
const out = (line = '') => process.stdout.write(`${line}\n`);

async function stopAll(): Promise<void> {
  for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
}

async function main(): Promise<void> {
  const authgear = await startAuthgearStandIn();
  stoppers.push(() => authgear.close());
  const app = await startEchoUpstream();
  stoppers.push(() => app.close());
  const gate = await startGateProcess({
    AUTHGEAR_ENDPOINT: authgear.origin,
    POLICY_FILE: join(REPO, 'scripts/demo/policy.yaml'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  stoppers.push(() => gate.stop());
  const nginx = hasNginx ? await startNginx({ gatePort: gate.port, appPort: app.port }) : undefined;
  if (nginx) stoppers.push(() => nginx.stop());

  const examples = nginx
    ? await buildExamples(authgear, (path) => `${nginx.url}${path}`, () => '')
    : await buildExamples(authgear, () => `${gate.url}/auth`, (path) => ` -H 'X-Original-URI: ${path}' -H 'X-Original-Method: GET'`);

  out('authgear-gate demo: everything below runs on this machine, on loopback.');
  out();
  out(`  Authgear stand-in   ${authgear.origin}   (discovery, JWKS, /_resolver/resolve)`);
  out(`  authgear-gate       ${gate.url}   (the built server: /auth, /healthz, /readyz, /metrics)`);
  out(`  echo app            http://127.0.0.1:${app.port}   (answers with the headers it received)`);
  if (nginx) out(`  nginx               ${nginx.url}   (nginx/nginx.conf as shipped, ports changed)`);
  else out('  nginx               not installed: the lines below ask the sidecar directly, as nginx would');
  out();
  out('Paste any of these; the expected answer is under each.');
  for (const [index, example] of examples.entries()) {
    out();
    out(`# ${index + 1}. ${example.title}`);
    out(example.command);
    out(`#    expect: ${example.expectStatus} - ${example.note}`);
  }
  out();
  out('Ctrl-C stops everything.');
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void stopAll().then(() => process.exit(0));
  });
}
main().catch(async (error: unknown) => {
  process.stderr.write(`demo failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  await stopAll();
  process.exit(1);
});
