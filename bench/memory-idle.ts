import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthgearStandIn } from '../test/support/authgear-stand-in.js';
import { freePort, startGateProcess, tempDir } from '../test/support/processes.js';
import { startRedis, TEST_HMAC_SECRET } from '../test/support/redis.js';
import { medianRssMb } from './memory-sidecar.js';
import { startReferenceServer } from './reference-servers.js';

export interface IdleRow {
  id: string;
  name: string;
  rssMb: number;
  /** What the row adds: to the bare server for the default configuration, to that for a part. */
  addsMb: number;
}

/** The parts a configuration turns on, each loaded only then. */
interface OptionalPart {
  id: string;
  name: string;
  env(): Promise<Record<string, string>>;
}

// Long enough for the startup collection (ops/startup-garbage.ts) and anything lazy to settle.
const SETTLE_MS = 3000;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

function assertionKeyFile(): string {
  const file = join(tempDir('memory-assertion-key'), 'key.pem');
  writeFileSync(file, String(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' })));
  return file;
}

/**
 * Idle RSS of the built server: the default configuration against a bare Node server started
 * the same way, then each optional part on its own, against the default configuration.
 */
export async function measureIdle(authgear: AuthgearStandIn, log: (line: string) => void): Promise<IdleRow[]> {
  const redis = await startRedis();
  const parts: OptionalPart[] = [
    { id: 'grpc', name: '+ Envoy ext_authz over gRPC (EXT_AUTHZ_GRPC_PORT)', env: async () => ({ EXT_AUTHZ_GRPC_PORT: String(await freePort()) }) },
    { id: 'ext-authz-http', name: '+ Envoy ext_authz over HTTP (EXT_AUTHZ_PORT)', env: async () => ({ EXT_AUTHZ_PORT: String(await freePort()) }) },
    { id: 'redis', name: '+ Redis (REDIS_URL)', env: async () => ({ REDIS_URL: redis.url, REDIS_HMAC_SECRET: TEST_HMAC_SECRET }) },
    // Nothing listens there: an idle sidecar exports nothing, and tries nothing either.
    { id: 'tracing', name: '+ tracing (OTEL_EXPORTER_OTLP_ENDPOINT)', env: async () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` }) },
    { id: 'assertions', name: '+ signed assertions (ASSERTION_KEY_FILE, P-256)', env: async () => ({ ASSERTION_KEY_FILE: assertionKeyFile() }) },
  ];
  const base = { AUTHGEAR_ENDPOINT: authgear.origin };
  const rssOf = async (env: Record<string, string>) => {
    const gate = await startGateProcess({ ...base, ...env });
    try {
      await settle();
      return await medianRssMb(gate.process.pid!);
    } finally {
      await gate.stop();
    }
  };
  try {
    const bare = await startReferenceServer('bare');
    let bareMb: number;
    try {
      await settle();
      bareMb = await medianRssMb(bare.pid);
    } finally {
      await bare.stop();
    }
    const idleMb = await rssOf({});
    const rows: IdleRow[] = [
      { id: 'bare', name: 'bare Node http server (the reference)', rssMb: bareMb, addsMb: 0 },
      { id: 'idle', name: 'the sidecar, default configuration (PORT only)', rssMb: idleMb, addsMb: idleMb - bareMb },
    ];
    for (const part of parts) {
      const rssMb = await rssOf(await part.env());
      rows.push({ id: part.id, name: part.name, rssMb, addsMb: rssMb - idleMb });
      log(`idle: ${part.id} ${rssMb.toFixed(1)} MB`);
    }
    return rows;
  } finally {
    await redis.stop();
  }
}
