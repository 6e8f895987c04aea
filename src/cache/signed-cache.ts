import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Cache, EntryRejection, SharedCacheName } from './cache.js';

/**
 * Whoever can write to Redis must not be able to plant a key set or a resolver answer, and
 * whoever can read it must not be able to confirm a guessed cookie. So every entry shared
 * through Redis is authenticated with HMAC-SHA256 under a secret only the replicas hold:
 * - its Redis key is `<purpose>:` + HMAC(secret, "key", version, purpose, key): opaque, and
 *   nothing about the key (a credential's hash, the project) can be checked against it;
 * - its value is `v1.<MAC>.<expiresAt>.<value>`, the MAC over version, purpose, key, expiry
 *   and value, checked in constant time before a byte of the value is parsed. A valid entry
 *   copied under another key or purpose fails like a forged one, and one replayed after its
 *   TTL (Redis's own expiry is the attacker's to choose) is refused too.
 * A refused entry is a miss (the caller asks Authgear), reported through onRejected.
 */
export interface SignedCacheOptions {
  /** REDIS_HMAC_SECRET: signs what is written, and what is read. */
  secret: string;
  /** REDIS_HMAC_PREVIOUS_SECRET during a rotation: read, never written. */
  previousSecret?: string | undefined;
  /** What the entries are for; part of every MAC and visible in the Redis key. */
  purpose: SharedCacheName;
  onRejected?: (reason: EntryRejection) => void;
  /** How many keys keep their derived Redis key and last verified text (default 1024). */
  rememberKeys?: number;
  /** Wall clock of the expiry, as Redis's TTLs run on it (tests may move it). */
  now?: () => number;
}

const HEADER = 'v1.';
const MAC_CHARS = 43; // 32 bytes in base64url, unpadded
const EXPIRY = /^\d{1,16}$/;
// Signed to expire this long after Redis drops the entry, so a replica whose clock runs a
// little ahead, or a read racing Redis's own expiry, never takes a genuine entry for a replay.
const EXPIRY_GRACE_MS = 5000;

const keyOf = (secret: string | KeyObject): KeyObject => (typeof secret === 'string' ? createSecretKey(Buffer.from(secret, 'utf8')) : secret);

// JSON arrays keep the fields apart: no key or purpose can end where another begins.
function mac(secret: KeyObject, fields: Array<string | number>, value?: string): string {
  const hmac = createHmac('sha256', secret).update(JSON.stringify(['authgear-gate', ...fields]));
  if (value !== undefined) hmac.update('\n').update(value);
  return hmac.digest('base64url');
}

/** The Redis key (before REDIS_KEY_PREFIX) under which `key` is stored for `purpose`. */
export function entryKey(secret: string | KeyObject, purpose: string, key: string): string {
  return `${purpose}:${mac(keyOf(secret), ['key', 'v1', purpose, key])}`;
}

/** The stored text of `value` under `key`, good until `expiresAt` (ms since the epoch). */
export function sealEntry(secret: string | KeyObject, purpose: string, key: string, value: string, expiresAt: number): string {
  const until = Math.ceil(expiresAt);
  return `${HEADER}${mac(keyOf(secret), ['entry', 'v1', purpose, key, until], value)}.${until}.${value}`;
}

/** The value of a sealed text, or why it is refused. */
function openEntry(secret: KeyObject, purpose: string, key: string, text: string, now: number): string | EntryRejection {
  const macEnd = HEADER.length + MAC_CHARS;
  const expiryEnd = text.indexOf('.', macEnd + 1);
  const expiry = text.slice(macEnd + 1, expiryEnd);
  if (!text.startsWith(HEADER) || text[macEnd] !== '.' || expiryEnd < 0 || !EXPIRY.test(expiry)) return 'unsigned';
  const value = text.slice(expiryEnd + 1);
  // Compared as text, not decoded: Node's base64 decoder skips or truncates what is not
  // base64, so a decoded compare would accept other spellings of the same MAC.
  const given = Buffer.from(text.slice(HEADER.length, macEnd), 'utf8');
  const expected = Buffer.from(mac(secret, ['entry', 'v1', purpose, key, Number(expiry)], value), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
  return Number(expiry) > now ? value : 'expired';
}

/** A key looked up again: its Redis key, and the last text proven authentic there. */
interface Known {
  stored: string;
  text?: string;
  value?: string;
  expiresAt?: number;
}

/** The Cache contract over another Cache, every entry signed on write and checked on read. */
export function createSignedCache(inner: Cache, options: SignedCacheOptions): Cache {
  const { purpose } = options;
  const now = options.now ?? Date.now;
  const current = keyOf(options.secret);
  const previous = options.previousSecret === undefined ? undefined : keyOf(options.previousSecret);
  // Each HMAC costs microseconds (OpenSSL sets up a context per call), more than the rest of
  // a Redis hit: a key asked for again reuses its Redis key, and the very text verified (or
  // written) last time needs no second MAC, as equal bytes carry the same one.
  const known = new LRUCache<string, Known>({ max: options.rememberKeys ?? 1024 });

  function knownKey(key: string): Known {
    let entry = known.get(key);
    if (entry === undefined) known.set(key, (entry = { stored: entryKey(current, purpose, key) }));
    return entry;
  }

  function opened(secret: KeyObject, key: string, text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    const value = openEntry(secret, purpose, key, text, now());
    if (value === 'unsigned' || value === 'bad_signature' || value === 'expired') {
      options.onRejected?.(value);
      return undefined;
    }
    return value;
  }

  function sealed(key: string, value: string, ttlMs: number): { entry: Known; text: string; remember(): void } {
    const entry = knownKey(key);
    const expiresAt = Math.ceil(now() + ttlMs + EXPIRY_GRACE_MS);
    const text = sealEntry(current, purpose, key, value, expiresAt);
    return { entry, text, remember: () => void Object.assign(entry, { text, value, expiresAt }) };
  }

  return {
    kind: inner.kind,
    async get(key) {
      const entry = knownKey(key);
      const text = await inner.get(entry.stored);
      if (text !== undefined && text === entry.text) {
        if (entry.expiresAt! > now()) return entry.value;
        options.onRejected?.('expired');
        return undefined;
      }
      if (text !== undefined || previous === undefined) {
        const value = opened(current, key, text);
        if (value !== undefined) Object.assign(entry, { text, value, expiresAt: Number(text!.split('.', 3)[2]) });
        return value;
      }
      // Rotating: what replicas still on the previous secret stored, under their key.
      return opened(previous, key, await inner.get(entryKey(previous, purpose, key)));
    },
    async set(key, value, ttlMs) {
      const { entry, text, remember } = sealed(key, value, ttlMs);
      await inner.set(entry.stored, text, ttlMs);
      remember();
    },
    async add(key, value, ttlMs) {
      const { entry, text, remember } = sealed(key, value, ttlMs);
      const added = await inner.add(entry.stored, text, ttlMs);
      if (added) remember();
      return added;
    },
    del: (key) => inner.del(knownKey(key).stored),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}
