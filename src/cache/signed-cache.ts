import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Cache, EntryRejection, SharedCacheName } from './cache.js';

/**
 * Whoever can write to Redis must not be able to plant a key set or a resolver answer, and
 * whoever can read it must not be able to confirm a guessed cookie. So every entry shared
 * through Redis is authenticated with HMAC-SHA256 under a secret only the replicas hold:
 * - its Redis key is `<purpose>:` + HMAC(secret, "key", version, purpose, key): opaque, and
 *   nothing about the key (a credential's hash, the project) can be checked against it;
 * - its value is `v1.` + HMAC(secret, "entry", version, purpose, key, value) + `.` + value,
 *   checked in constant time before a single byte of the value is parsed. The MAC covers the
 *   key and the purpose, so a valid entry copied under another key, or from the key sets to
 *   the resolver answers, fails like a forged one.
 * A rejected entry is a miss (the caller asks Authgear), reported through onRejected.
 */
export interface SignedCacheOptions {
  /** REDIS_HMAC_SECRET: signs what is written, and what is read. */
  secret: string;
  /** REDIS_HMAC_PREVIOUS_SECRET during a rotation: read, never written. */
  previousSecret?: string | undefined;
  /** What the entries are for; part of every MAC and visible in the Redis key. */
  purpose: SharedCacheName;
  onRejected?: (reason: EntryRejection) => void;
}

const VERSION = 'v1';
const MAC_CHARS = 43; // 32 bytes in base64url, unpadded
const HEADER = `${VERSION}.`;

const keyOf = (secret: string | KeyObject): KeyObject => (typeof secret === 'string' ? createSecretKey(Buffer.from(secret, 'utf8')) : secret);

// JSON arrays keep the fields apart: no key or purpose can end where another begins.
const mac = (secret: KeyObject, role: 'key' | 'entry', purpose: string, key: string, value?: string): Buffer => {
  const hmac = createHmac('sha256', secret).update(JSON.stringify(['authgear-gate', role, VERSION, purpose, key]));
  if (value !== undefined) hmac.update('\n').update(value);
  return hmac.digest();
};

/** The Redis key (before REDIS_KEY_PREFIX) under which `key` is stored for `purpose`. */
export function entryKey(secret: string | KeyObject, purpose: string, key: string): string {
  return `${purpose}:${mac(keyOf(secret), 'key', purpose, key).toString('base64url')}`;
}

/** The stored text of `value` under `key`: the MAC, then the value untouched. */
export function sealEntry(secret: string | KeyObject, purpose: string, key: string, value: string): string {
  return `${HEADER}${mac(keyOf(secret), 'entry', purpose, key, value).toString('base64url')}.${value}`;
}

/** The value of a sealed text, or why it is refused. */
function openEntry(secret: KeyObject, purpose: string, key: string, text: string): string | EntryRejection {
  const valueAt = HEADER.length + MAC_CHARS + 1;
  if (!text.startsWith(HEADER) || text.length < valueAt || text[valueAt - 1] !== '.') return 'unsigned';
  // Compared as text, not decoded: Node's base64 decoder skips or truncates what is not
  // base64, so a decoded compare would accept other spellings of the same MAC.
  const given = Buffer.from(text.slice(HEADER.length, valueAt - 1), 'utf8');
  const value = text.slice(valueAt);
  const expected = Buffer.from(mac(secret, 'entry', purpose, key, value).toString('base64url'), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected) ? value : 'bad_signature';
}

/** The Cache contract over another Cache, every entry signed on write and checked on read. */
export function createSignedCache(inner: Cache, options: SignedCacheOptions): Cache {
  const { purpose } = options;
  const current = keyOf(options.secret);
  const previous = options.previousSecret === undefined ? undefined : keyOf(options.previousSecret);
  const storedKey = (key: string): string => entryKey(current, purpose, key);

  function opened(secret: KeyObject, key: string, text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    const value = openEntry(secret, purpose, key, text);
    if (value === 'unsigned' || value === 'bad_signature') {
      options.onRejected?.(value);
      return undefined;
    }
    return value;
  }

  return {
    kind: inner.kind,
    async get(key) {
      const text = await inner.get(storedKey(key));
      if (text !== undefined || previous === undefined) return opened(current, key, text);
      // Rotating: what replicas still on the previous secret stored, under their key.
      return opened(previous, key, await inner.get(entryKey(previous, purpose, key)));
    },
    set: (key, value, ttlMs) => inner.set(storedKey(key), sealEntry(current, purpose, key, value), ttlMs),
    add: (key, value, ttlMs) => inner.add(storedKey(key), sealEntry(current, purpose, key, value), ttlMs),
    del: (key) => inner.del(storedKey(key)),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}
