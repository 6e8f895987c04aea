import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startGateProcess, tempDir } from '../support/processes.js';
import { waitFor } from '../support/wait-for.js';

// Tracing costs nothing when off: no module of the OpenTelemetry SDK is loaded. (The API
// package alone was loaded before tracing existed: prom-client's process CPU metric requires
// it, for exemplars.) A resolve hook
// in the built server's process lists every @opentelemetry package it resolves (dynamic
// imports included), on stderr at exit.
const HOOK = `import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    const found = /node_modules\\/(@opentelemetry\\/[^/]+)\\//.exec(resolved.url);
    if (found) seen.add(found[1]);
    return resolved;
  },
});
process.on('exit', () => process.stderr.write('opentelemetry modules: ' + JSON.stringify([...seen].sort()) + '\\n'));
`;

let authgear: AuthgearStandIn;
let hook: string;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  hook = join(tempDir('import-hook'), 'record-imports.mjs');
  writeFileSync(hook, HOOK);
});
afterAll(async () => {
  await authgear?.close();
});

const THE_API = '@opentelemetry/api';

/** The @opentelemetry packages the server loaded, after answering one request. */
async function loadedWith(env: Record<string, string>): Promise<string[]> {
  const gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, ...env }, { nodeArgs: ['--import', hook] });
  expect((await fetch(`${gate.url}/auth`, { headers: { authorization: `Bearer ${await authgear.accessToken()}` } })).status).toBe(200);
  await gate.stop();
  await waitFor(() => gate.output().includes('opentelemetry modules:'), 5000, 'the list of loaded modules');
  return JSON.parse(/opentelemetry modules: (.*)/.exec(gate.output())![1]!) as string[];
}

describe('the OpenTelemetry SDK in the built server', () => {
  it('loads no SDK module without an exporter, nor with OTEL_SDK_DISABLED=true', async () => {
    expect((await loadedWith({})).filter((name) => name !== THE_API)).toEqual([]);
    expect((await loadedWith({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).filter((name) => name !== THE_API)).toEqual([]);
  });

  it('is loaded when an exporter is configured (the hook sees what it should)', async () => {
    expect(await loadedWith({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).toEqual(expect.arrayContaining([THE_API, '@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-proto']));
  });
});
