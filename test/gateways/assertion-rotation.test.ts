import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION, JWKS, kidOf, writeAssertionKey, type KeyFile } from '../support/assertions.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { send } from '../support/edge-requests.js';
import { httpGet, startCaddy, startEchoUpstream, startGateProcess, startNginx, type Spawned } from '../support/processes.js';

// Rotating ASSERTION_KEY_FILE without a flag day, as docs/assertions.md says to: publish the
// new key first (as the "previous" one, never used to sign), then sign with it while the old
// one stays published, then retire the old one. Each step is a restart of the built sidecar
// with its new settings, in front of which real nginx (and Caddy) run the shipped configs.
const APP = 'app.example.test';

let authgear: AuthgearStandIn;
let app: { port: number; close(): Promise<void> };
let oldKey: KeyFile;
let newKey: KeyFile;
const running: Array<{ stop(): Promise<unknown> }> = [];

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  app = await startEchoUpstream();
  oldKey = writeAssertionKey();
  newKey = writeAssertionKey('Ed25519', 'jwk');
});
afterAll(async () => {
  for (const process of running.reverse()) await process.stop();
  await app?.close();
  await authgear?.close();
});

/** One step of the rotation: the sidecar with these keys, and the gateways in front of it. */
async function step(keys: { signing: KeyFile; previous?: KeyFile }) {
  const gate = await startGateProcess({
    AUTHGEAR_ENDPOINT: authgear.origin,
    ASSERTION_KEY_FILE: keys.signing.path,
    ...(keys.previous ? { ASSERTION_PREVIOUS_KEY_FILE: keys.previous.path } : {}),
  });
  const keep = <T extends Spawned>(started: T) => (running.push(started), started);
  keep(gate);
  const nginx = keep(await startNginx({ gatePort: gate.port, appPort: app.port }));
  const caddy = keep(await startCaddy({ gatePort: gate.port, appPort: app.port }));
  const token = await authgear.accessToken();
  const assertionVia = async (gateway: { url: string }) => {
    const sent = await send(gateway.url, '/api/orders', { host: APP, authorization: `Bearer ${token}` });
    expect(sent.status).toBe(200);
    return sent.app!.headers[ASSERTION]!;
  };
  const published = JSON.parse((await httpGet(`${gate.url}${JWKS}`)).body) as { keys: Array<{ kid: string; alg: string }> };
  return { gate, published: published.keys, nginx: await assertionVia(nginx), caddy: await assertionVia(caddy) };
}

/** An app's key set, fetched from the sidecar as jose fetches it, and cached as jose caches it. */
const appKeys = (gate: { url: string }) => createRemoteJWKSet(new URL(JWKS, gate.url));
const verdict = (token: string, keys: JWTVerifyGetKey) =>
  jwtVerify(token, keys, { issuer: 'authgear-gate', audience: APP, algorithms: ['ES256', 'EdDSA'] }).then(() => 'accepted', (error: { code: string }) => error.code);

describe('rotating the assertion key', () => {
  it('publishes both keys while one signs, and an app verifying with the key set accepts what either signed', async () => {
    // 1. The new key published beside the old one, which still signs.
    const first = await step({ signing: oldKey, previous: newKey });
    const [oldKid, newKid] = first.published.map((jwk) => jwk.kid);
    expect(first.published.map((jwk) => jwk.alg)).toEqual(['ES256', 'EdDSA']);
    expect([kidOf(first.nginx), kidOf(first.caddy)]).toEqual([oldKid, oldKid]);
    const cachedByApp = appKeys(first.gate);
    expect(await verdict(first.nginx, cachedByApp)).toBe('accepted');
    await first.gate.stop();

    // 2. The new key signs, the old one stays published: an app whose key set is still the
    //    one from step 1 (the sidecar that served it is gone) accepts the new assertions, and
    //    one that fetches now accepts both, the old key's still within their TTL.
    const second = await step({ signing: newKey, previous: oldKey });
    expect(second.published.map((jwk) => jwk.kid)).toEqual([newKid, oldKid]);
    expect([kidOf(second.nginx), kidOf(second.caddy)]).toEqual([newKid, newKid]);
    expect(await verdict(second.nginx, cachedByApp)).toBe('accepted');
    const fetchedNow = appKeys(second.gate);
    for (const token of [first.nginx, first.caddy, second.nginx, second.caddy]) expect(await verdict(token, fetchedNow)).toBe('accepted');
    await second.gate.stop();

    // 3. The old key retired: what it signed is refused, what the new one signs is not.
    const third = await step({ signing: newKey });
    expect(third.published.map((jwk) => jwk.kid)).toEqual([newKid]);
    const afterwards = appKeys(third.gate);
    expect(await verdict(third.nginx, afterwards)).toBe('accepted');
    expect(await verdict(second.caddy, afterwards)).toBe('accepted');
    expect(await verdict(first.nginx, afterwards)).toBe('ERR_JWKS_NO_MATCHING_KEY');
  });
});
