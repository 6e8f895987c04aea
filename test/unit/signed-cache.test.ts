import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Cache, EntryRejection } from '../../src/cache/cache.js';
import { createMemoryCache } from '../../src/cache/memory-cache.js';
import { createSignedCache, entryKey, sealEntry } from '../../src/cache/signed-cache.js';

// The wrapper over a real (in-process) Cache; the store underneath plays Redis, which anyone
// with access can read and write, so tests write to it directly as an attacker would.
const SECRET = randomBytes(32).toString('base64');
const OTHER = randomBytes(32).toString('base64');
const clock = { now: 1_800_000_000_000 };
const FUTURE = clock.now + 600_000;
// What the wrapper signs for a TTL: Redis's expiry plus its grace for clock differences.
const signedUntil = (ttlMs: number) => clock.now + ttlMs + 5000;

function setUp(options: { secret?: string; previousSecret?: string; purpose?: 'resolver' | 'keys'; store?: Cache } = {}) {
  const store = options.store ?? createMemoryCache({ maxEntries: 100 });
  const rejected: EntryRejection[] = [];
  const cache = createSignedCache(store, {
    secret: options.secret ?? SECRET,
    previousSecret: options.previousSecret,
    purpose: options.purpose ?? 'resolver',
    onRejected: (reason) => void rejected.push(reason),
    now: () => clock.now,
  });
  return { store, cache, rejected };
}

describe('the signed cache', () => {
  it('stores under an opaque key that only the secret can compute, the value behind a MAC and its expiry', async () => {
    const { store, cache } = setUp();
    const key = 'resolve:credential-hash';
    await cache.set(key, '{"answer":1}', 60_000);
    const stored = entryKey(SECRET, 'resolver', key);
    expect(stored).toMatch(/^resolver:[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain('credential-hash');
    expect(stored).not.toBe(entryKey(OTHER, 'resolver', key));
    expect(stored).not.toContain(createHash('sha256').update(key).digest('base64url'));
    expect(await store.get(key)).toBeUndefined();
    expect(await store.get(stored)).toBe(sealEntry(SECRET, 'resolver', key, '{"answer":1}', signedUntil(60_000)));
    expect(await store.get(stored)).toMatch(new RegExp(`^v1\\.[A-Za-z0-9_-]{43}\\.${signedUntil(60_000)}\\.\\{"answer":1\\}$`));
    expect(await cache.get(key)).toBe('{"answer":1}');
  });

  it.each<[string, (key: string, value: string) => string, EntryRejection]>([
    ['an unsigned value (what was stored before signing)', (_key, value) => value, 'unsigned'],
    ['a value signed with another secret', (key, value) => sealEntry(OTHER, 'resolver', key, value, FUTURE), 'bad_signature'],
    ['a value signed for another key', (_key, value) => sealEntry(SECRET, 'resolver', 'resolve:another-credential', value, FUTURE), 'bad_signature'],
    ['a value signed for another purpose', (key, value) => sealEntry(SECRET, 'keys', key, value, FUTURE), 'bad_signature'],
    ['a genuine value replayed past its signed expiry', (key, value) => sealEntry(SECRET, 'resolver', key, value, clock.now - 1), 'expired'],
    ['a genuine value whose expiry was pushed back', (key, value) => sealEntry(SECRET, 'resolver', key, value, clock.now - 1).replace(`.${clock.now - 1}.`, `.${FUTURE}.`), 'bad_signature'],
    ['a MAC of the wrong length', (key, value) => sealEntry(SECRET, 'resolver', key, value, FUTURE).replace(/^v1\.[^.]+\./, 'v1.AAAA.'), 'unsigned'],
    ['a MAC in a later format version', (key, value) => sealEntry(SECRET, 'resolver', key, value, FUTURE).replace(/^v1/, 'v2'), 'unsigned'],
    ['an expiry that is not a number', (key, value) => sealEntry(SECRET, 'resolver', key, value, FUTURE).replace(`.${FUTURE}.`, '.1e99.'), 'unsigned'],
  ])('refuses %s under the key it reads: a miss, reported', async (_name, forge, reason) => {
    const { store, cache, rejected } = setUp();
    const key = 'resolve:victim';
    await store.set(entryKey(SECRET, 'resolver', key), forge(key, '{"valid":true,"user":"admin"}'), 60_000);
    expect(await cache.get(key)).toBeUndefined();
    expect(rejected).toEqual([reason]);
  });

  it('refuses any change to a signed text, byte by byte', async () => {
    const { store, cache, rejected } = setUp();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ maxLength: 300 }), fc.nat(), fc.integer({ min: 1, max: 0xffff }), async (key, value, at, delta) => {
        const sealed = sealEntry(SECRET, 'resolver', key, value, FUTURE);
        const index = at % sealed.length;
        const changed = sealed.slice(0, index) + String.fromCharCode((sealed.charCodeAt(index) + delta) % 0x10000) + sealed.slice(index + 1);
        fc.pre(changed !== sealed);
        await store.set(entryKey(SECRET, 'resolver', key), changed, 60_000);
        rejected.length = 0;
        expect(await cache.get(key)).toBeUndefined();
        expect(rejected).toHaveLength(1);
        await store.set(entryKey(SECRET, 'resolver', key), sealed, 60_000);
        expect(await cache.get(key)).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses an entry it verified before once its signed expiry passed, though Redis still holds it', async () => {
    const { store, cache, rejected } = setUp();
    await cache.set('jwks:project', 'keys', 10_000);
    const text = await store.get(entryKey(SECRET, 'resolver', 'jwks:project'));
    clock.now += 10_000;
    expect(await cache.get('jwks:project')).toBe('keys');
    clock.now += 5_001;
    // An attacker kept it (PERSIST) or put it back after Redis dropped it.
    expect(await store.get(entryKey(SECRET, 'resolver', 'jwks:project'))).toBe(text);
    expect(await cache.get('jwks:project')).toBeUndefined();
    const fresh = setUp({ store });
    expect(await fresh.cache.get('jwks:project')).toBeUndefined();
    expect([...rejected, ...fresh.rejected]).toEqual(['expired', 'expired']);
  });

  it('signs the fetch lock like any entry, so a lock held is one this service took', async () => {
    const { store, cache } = setUp({ purpose: 'keys' });
    expect(await cache.add('jwks:lock', 'owner', 60_000)).toBe(true);
    expect(await cache.add('jwks:lock', 'other', 60_000)).toBe(false);
    expect(await store.get(entryKey(SECRET, 'keys', 'jwks:lock'))).toBe(sealEntry(SECRET, 'keys', 'jwks:lock', 'owner', signedUntil(60_000)));
    expect(await cache.get('jwks:lock')).toBe('owner');
  });

  it('reads, never writes, with the previous secret while rotating', async () => {
    const store = createMemoryCache({ maxEntries: 100 });
    const old = setUp({ secret: OTHER, store });
    await old.cache.set('jwks:project', 'old set', 60_000);

    const plain = setUp({ store });
    expect(await plain.cache.get('jwks:project')).toBeUndefined();
    expect(plain.rejected).toEqual([]);

    const rotating = setUp({ previousSecret: OTHER, store });
    expect(await rotating.cache.get('jwks:project')).toBe('old set');
    await rotating.cache.set('jwks:project', 'new set', 60_000);
    expect(await store.get(entryKey(SECRET, 'resolver', 'jwks:project'))).toBe(sealEntry(SECRET, 'resolver', 'jwks:project', 'new set', signedUntil(60_000)));
    expect(await rotating.cache.get('jwks:project')).toBe('new set');
    expect(await old.cache.get('jwks:project')).toBe('old set');
    // Signed with the previous secret but copied under the current key: refused.
    await store.set(entryKey(SECRET, 'resolver', 'jwks:project'), sealEntry(OTHER, 'resolver', 'jwks:project', 'planted', FUTURE), 60_000);
    expect(await rotating.cache.get('jwks:project')).toBeUndefined();
    expect(rotating.rejected).toEqual(['bad_signature']);
  });
});
