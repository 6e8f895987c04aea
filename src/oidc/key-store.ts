import type { KeyObject } from 'node:crypto';
import { GateError } from '../errors.js';
import type { SigningAlgorithm } from './jws-algorithms.js';
import { createMissCooldown } from './miss-cooldown.js';
import type { JsonWebKeySet } from './key-set.js';
import { importVerificationKeys, type VerificationKeys } from './verification-keys.js';

export type KeySetLoadReason = 'startup' | 'refresh' | 'unknown_kid';

/** No key set has been loaded yet (Authgear not reached since start): nothing can be verified. */
export class KeysNotLoaded extends GateError {
  override readonly name = 'KeysNotLoaded';
  constructor() {
    super('keys_not_loaded', 'signing keys are not loaded yet');
  }
}

export interface KeyStoreOptions {
  /** Loads the current key set (from Authgear, or a cache shared with other replicas). */
  loadKeySet: (reason: KeySetLoadReason) => Promise<JsonWebKeySet>;
  now: () => number;
  /** Age (ms) after which keys are refreshed in the background while still being used. */
  refreshAfterMs: number;
  /**
   * Longest wait (ms) between reloads triggered by kids we do not know (reached only while
   * such reloads keep finding nothing new), and the wait between retries of a failed refresh.
   */
  missCooldownMs: number;
  /** First wait (ms) after a reload for an unknown kid found nothing new; default 1000 (at most missCooldownMs). */
  missCooldownMinMs?: number;
  /** Backoff bounds (ms) of the startup retry loop. */
  retryMinMs?: number;
  retryMaxMs?: number;
  onLoad?: (reason: KeySetLoadReason) => void;
  /** A token was checked against keys whose last refresh failed (Authgear unreachable). */
  onStaleUse?: () => void;
  onLoadError?: (reason: KeySetLoadReason, error: unknown) => void;
}

export interface KeyStore {
  /** Loads keys, retrying with backoff until it works or the signal aborts. */
  start(signal?: AbortSignal): Promise<void>;
  isReady(): boolean;
  /**
   * The issuer's keys a token naming this kid and alg may be verified with: never one from
   * the token itself (jku, x5u, an embedded jwk), only our set's. At once when the set has
   * them; for a kid it lacks, after a reload (a rotation), paced against floods of made-up
   * kids; [] when there is still none. Throws KeysNotLoaded before the first load.
   */
  keysFor(kid: string | undefined, alg: SigningAlgorithm): readonly KeyObject[] | Promise<readonly KeyObject[]>;
}

interface LoadedKeys {
  verification: VerificationKeys;
  loadedAt: number;
  /** Each key as JSON, to tell a rotation from a reload that brought nothing. */
  keys: ReadonlySet<string>;
  /** Whether this set holds a key the one before it lacked. */
  addedKeys: boolean;
}

const keysOf = (jwks: JsonWebKeySet): ReadonlySet<string> => new Set(jwks.keys.map((key) => JSON.stringify(key)));
const addsKeys = (before: LoadedKeys | undefined, after: ReadonlySet<string>) => before !== undefined && [...after].some((key) => !before.keys.has(key));

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

export function createKeyStore(options: KeyStoreOptions): KeyStore {
  let loaded: LoadedKeys | undefined;
  let inFlight: Promise<LoadedKeys> | undefined;
  const missCooldown = createMissCooldown({
    minMs: Math.min(options.missCooldownMinMs ?? 1000, options.missCooldownMs),
    maxMs: options.missCooldownMs,
    now: options.now,
  });
  let lastRefreshAt = -Infinity;
  let refreshFailing = false;

  // One load at a time: a burst of unknown kids or refreshes shares a single request, and
  // each load is reported once, whoever waits for it.
  function reload(reason: KeySetLoadReason): Promise<LoadedKeys> {
    inFlight ??= options
      .loadKeySet(reason)
      .then(
        (jwks) => {
          const keys = keysOf(jwks);
          const addedKeys = addsKeys(loaded, keys);
          // New keys mean a rotation: its next unknown kid is the next key, not a flood.
          if (addedKeys) missCooldown.foundNewKeys();
          loaded = { verification: importVerificationKeys(jwks), loadedAt: options.now(), keys, addedKeys };
          refreshFailing = false;
          options.onLoad?.(reason);
          return loaded;
        },
        (error: unknown) => {
          if (reason === 'refresh') refreshFailing = true;
          options.onLoadError?.(reason, error);
          throw error;
        },
      )
      .finally(() => { inFlight = undefined; });
    return inFlight;
  }

  async function start(signal?: AbortSignal): Promise<void> {
    let delay = options.retryMinMs ?? 250;
    while (!loaded && !signal?.aborted) {
      try {
        await reload('startup');
      } catch {
        await sleep(delay * (0.5 + Math.random() / 2), signal);
        delay = Math.min(delay * 2, options.retryMaxMs ?? 30_000);
      }
    }
  }

  function keysFor(kid: string | undefined, alg: SigningAlgorithm): readonly KeyObject[] | Promise<readonly KeyObject[]> {
    const current = loaded;
    if (!current) throw new KeysNotLoaded();
    const now = options.now();
    // While Authgear is down, a failed refresh is retried once per cooldown, not per request.
    if (now - current.loadedAt >= options.refreshAfterMs && now - lastRefreshAt >= options.missCooldownMs && !inFlight) {
      lastRefreshAt = now;
      // Already reported by reload; the keys we have keep working meanwhile.
      reload('refresh').catch(() => undefined);
    }
    if (refreshFailing) options.onStaleUse?.();
    const keys = current.verification.keysFor(kid, alg);
    return keys.length > 0 ? keys : keysAfterMisses(current, kid, alg);
  }

  /**
   * Two more tries after a miss: a reload we joined may have been fetched before the key was
   * published, and then one of our own is due (cooldown permitting).
   */
  async function keysAfterMisses(missed: LoadedKeys, kid: string | undefined, alg: SigningAlgorithm): Promise<readonly KeyObject[]> {
    let seen = missed;
    for (let round = 0; round < 2; round++) {
      const newer = await keysAfterMiss(seen);
      if (!newer) return [];
      const keys = newer.verification.keysFor(kid, alg);
      if (keys.length > 0) return keys;
      seen = newer;
    }
    return [];
  }

  /** Newer keys for a kid `seen` lacks, or undefined when there is none to be had now. */
  async function keysAfterMiss(seen: LoadedKeys): Promise<LoadedKeys | undefined> {
    if (loaded && loaded !== seen) return loaded;
    // During a rotation a burst of new-kid tokens arrives at once: all of them wait for the
    // one reload in flight; only starting a new reload is paced.
    if (inFlight) return inFlight.catch(() => undefined);
    if (!missCooldown.tryStart()) return undefined;
    return reload('unknown_kid').then(
      (keys) => {
        if (!keys.addedKeys) missCooldown.foundNothing();
        return keys;
      },
      () => {
        missCooldown.foundNothing();
        return undefined;
      },
    );
  }

  return { start, isReady: () => loaded !== undefined, keysFor };
}
