import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { Denial } from '../decision/outcome.js';

export type KeySetLoadReason = 'startup' | 'refresh' | 'unknown_kid';

export interface KeyStoreOptions {
  /** Loads the current key set (from Authgear, or a cache shared with other replicas). */
  loadKeySet: (reason: KeySetLoadReason) => Promise<JSONWebKeySet>;
  now: () => number;
  /** Age (ms) after which keys are refreshed in the background while still being used. */
  refreshAfterMs: number;
  /** Minimum time (ms) between reloads triggered by a kid we do not know, or retries of a failed refresh. */
  missCooldownMs: number;
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
  /** Key resolver for jose: never looks at jku, x5u or an embedded jwk, only at our set. */
  getKey: JWTVerifyGetKey;
}

interface LoadedKeys {
  resolve: JWTVerifyGetKey;
  loadedAt: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

export function createKeyStore(options: KeyStoreOptions): KeyStore {
  let loaded: LoadedKeys | undefined;
  let inFlight: Promise<LoadedKeys> | undefined;
  let lastMissReloadAt = -Infinity;
  let lastRefreshAt = -Infinity;
  let refreshFailing = false;

  // One load at a time: a burst of unknown kids or refreshes shares a single request, and
  // each load is reported once, whoever waits for it.
  function reload(reason: KeySetLoadReason): Promise<LoadedKeys> {
    inFlight ??= options
      .loadKeySet(reason)
      .then(
        (jwks) => {
          loaded = { resolve: createLocalJWKSet(jwks), loadedAt: options.now() };
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

  const getKey: JWTVerifyGetKey = async (header, token) => {
    const current = loaded;
    if (!current) throw new Denial('keys_unavailable', 'signing keys are not loaded yet');
    const now = options.now();
    // While Authgear is down, a failed refresh is retried once per cooldown, not per request.
    if (now - current.loadedAt >= options.refreshAfterMs && now - lastRefreshAt >= options.missCooldownMs && !inFlight) {
      lastRefreshAt = now;
      // Already reported by reload; the keys we have keep working meanwhile.
      reload('refresh').catch(() => undefined);
    }
    if (refreshFailing) options.onStaleUse?.();
    let seen = current;
    let miss: unknown;
    // After a miss, two more tries: a reload we joined may have been fetched before the key was
    // published, and then one of our own is due (cooldown permitting).
    for (let round = 0; round < 3; round++) {
      const keys = round === 0 ? current : await keysAfterMiss(seen);
      if (!keys) throw miss;
      try {
        return await keys.resolve(header, token);
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
        miss ??= error;
        seen = keys;
      }
    }
    throw miss;
  };

  /** Newer keys for a kid `seen` lacks, or undefined when there is none to be had now. */
  async function keysAfterMiss(seen: LoadedKeys): Promise<LoadedKeys | undefined> {
    if (loaded && loaded !== seen) return loaded;
    // During a rotation a burst of new-kid tokens arrives at once: all of them wait for the
    // one reload in flight; only starting a new reload is rate-limited.
    if (!inFlight) {
      const now = options.now();
      if (now - lastMissReloadAt < options.missCooldownMs) return undefined;
      lastMissReloadAt = now;
    }
    return reload('unknown_kid').catch(() => undefined);
  }

  return { start, isReady: () => loaded !== undefined, getKey };
}
