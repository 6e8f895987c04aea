import { afterAll, expect, it } from 'vitest';
import { startAuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate } from '../support/gate.js';

// Building and serving the gate touches nothing of the process's own: Hono's Node adapter
// replaces globalThis.Request and Response unless told not to.
const originals = { Request: globalThis.Request, Response: globalThis.Response };
const authgear = await startAuthgearStandIn();
afterAll(() => authgear.close());

it('leaves the global Request and Response alone, built and serving', async () => {
  const gate = await startTestGate(authgear, { METRICS_PORT: '9999' });
  try {
    for (const target of ['/healthz', '/readyz', '/nothing-here']) await gate.request(target);
    expect(globalThis.Request).toBe(originals.Request);
    expect(globalThis.Response).toBe(originals.Response);
  } finally {
    await gate.close();
  }
});
