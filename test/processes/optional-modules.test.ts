import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { freePort, httpGet, startGateProcess, tempDir } from '../support/processes.js';
import { TEST_HMAC_SECRET } from '../support/redis.js';

// #25: a part the configuration leaves off is never loaded, so a sidecar pays in memory only
// for what it runs. The built server is started with a resolve hook (node --import) that
// writes down every package it loads; one request through /auth, then the list is read.
const HOOK = `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const inPackage = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(resolved.url);
    if (inPackage) appendFileSync(process.env.LOADED_PACKAGES_FILE, inPackage[1] + '\\n');
    return resolved;
  },
});
`;
/** Each optional part and the packages only it needs (jose: the assertion signer's, since #23). */
const OPTIONAL = {
  redis: ['ioredis'],
  grpc: ['@grpc/grpc-js', 'protobufjs'],
  yaml: ['yaml'],
  assertions: ['jose'],
  tracing: ['@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-proto', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/core', '@opentelemetry/resources'],
} as const;
// The OpenTelemetry API alone was loaded before tracing existed: prom-client's process CPU
// metric requires it (for exemplars). Any other @opentelemetry package is the SDK's.
const sdkPackages = (loaded: Set<string>) => [...loaded].filter((name) => name.startsWith('@opentelemetry/') && name !== '@opentelemetry/api');

let authgear: AuthgearStandIn;
let dir: string;
beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  dir = tempDir('optional-modules');
  writeFileSync(join(dir, 'hook.mjs'), HOOK);
});
afterAll(async () => {
  await authgear?.close();
});

/** The packages the built server loaded with this configuration, after one allowed request. */
async function packagesLoadedWith(env: Record<string, string>): Promise<Set<string>> {
  const file = join(dir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, '');
  const gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, LOADED_PACKAGES_FILE: file, ...env }, { nodeArgs: ['--import', join(dir, 'hook.mjs')] });
  try {
    const answer = await httpGet(`${gate.url}/auth`, {
      authorization: `Bearer ${await authgear.accessToken()}`,
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.test',
      'x-forwarded-uri': '/orders',
    });
    expect(answer.status).toBe(200);
  } finally {
    await gate.stop();
  }
  return new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean));
}

describe('a part the configuration leaves off is never loaded', () => {
  it('the default configuration loads none of the optional parts', async () => {
    const loaded = await packagesLoadedWith({});
    for (const name of Object.values(OPTIONAL).flat()) expect(loaded.has(name), name).toBe(false);
    expect(sdkPackages(loaded)).toEqual([]);
    // What it does load: the service itself (a sanity check of the hook).
    for (const name of ['hono', 'zod', 'pino', 'prom-client']) expect(loaded.has(name), name).toBe(true);
  });

  it('Redis loads ioredis, and nothing else optional', async () => {
    // Nothing listens there: the sidecar starts anyway (Redis never makes it unready).
    const loaded = await packagesLoadedWith({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_HMAC_SECRET: TEST_HMAC_SECRET });
    expect(loaded.has('ioredis')).toBe(true);
    for (const name of [...OPTIONAL.grpc, ...OPTIONAL.yaml]) expect(loaded.has(name), name).toBe(false);
  });

  it('ext_authz over gRPC loads grpc-js and protobufjs', async () => {
    const loaded = await packagesLoadedWith({ EXT_AUTHZ_GRPC_PORT: String(await freePort()) });
    for (const name of OPTIONAL.grpc) expect(loaded.has(name), name).toBe(true);
    expect(loaded.has('ioredis')).toBe(false);
  });

  it('a YAML policy loads the YAML parser; a JSON one does not', async () => {
    const yamlPolicy = join(dir, 'policy.yaml');
    writeFileSync(yamlPolicy, 'rules:\n  - match: { path_prefix: /public/ }\n    access: public\n');
    expect((await packagesLoadedWith({ POLICY_FILE: yamlPolicy })).has('yaml')).toBe(true);
    const jsonPolicy = join(dir, 'policy.json');
    writeFileSync(jsonPolicy, JSON.stringify({ rules: [{ match: { path_prefix: '/public/' }, access: 'public' }] }));
    expect((await packagesLoadedWith({ POLICY_FILE: jsonPolicy })).has('yaml')).toBe(false);
  });

  it('tracing loads the OpenTelemetry SDK only with an exporter, and not with OTEL_SDK_DISABLED', async () => {
    const traced = await packagesLoadedWith({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    expect(sdkPackages(traced)).toEqual(expect.arrayContaining(['@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-proto']));
    expect(sdkPackages(await packagesLoadedWith({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }))).toEqual([]);
  });

  it('signed assertions load jose, the signer\'s, only with ASSERTION_KEY_FILE', async () => {
    const key = join(dir, 'assertion-key.pem');
    writeFileSync(key, String(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' })));
    const loaded = await packagesLoadedWith({ ASSERTION_KEY_FILE: key });
    expect(loaded.has('jose')).toBe(true);
    expect(sdkPackages(loaded)).toEqual([]);
  });
});
