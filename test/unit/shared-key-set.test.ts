import type { JsonWebKeySet } from '../../src/oidc/key-set.js';
import { describe, expect, it } from 'vitest';
import type { Cache } from '../../src/cache/cache.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import type { KeySetLoadReason } from '../../src/oidc/key-store.js';
import { shareKeySetLoads } from '../../src/oidc/shared-key-set.js';
import { generateSigningKey } from '../support/authgear-stand-in.js';

/** Interleavings of two replicas that real processes only hit under load, made certain here. */
describe('the shared key set loader', () => {
  it('does not fetch again when a peer stored the set and released the lock between its read and its lock', async () => {
    const jwks: JsonWebKeySet = { keys: [(await generateSigningKey()).publicJwk] };
    const fetched: KeySetLoadReason[] = [];
    const cache = createMemoryCache({ maxEntries: 10 });
    const loader = (store: Cache) =>
      shareKeySetLoads({
        load: async (reason) => { fetched.push(reason); return jwks; },
        cache: store, key: 'jwks', now: Date.now, reuseForMs: 150_000, keepForMs: 3_600_000, waitForPeerMs: 5000,
      });
    const peer = loader(cache);
    let peerDone = false;
    // The late replica has read a miss; the peer does its whole load before the late one locks.
    const late = loader({
      ...cache,
      async add(key, value, ttlMs) {
        if (!peerDone) {
          peerDone = true;
          await peer('startup');
        }
        return cache.add(key, value, ttlMs);
      },
    });
    expect(await late('startup')).toEqual(jwks);
    expect(fetched).toEqual(['startup']);
  });
});
