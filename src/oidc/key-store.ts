import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { Denial } from '../errors.js';

export type KeySetLoadReason = 'startup' | 'refresh' | 'unknown_kid';

export interface KeyStoreOptions {
  /** Loads the current key set (from Authgear, or a cache shared with other replicas). */
  loadKeySet: (reason: KeySetLoadReason) => Promise<JSONWebKeySet>;
  now: () => number;
  /** Age (ms) after which keys are refreshed in the background while still being used. */
  refreshAfterMs: number;
  /** Minimum time (ms) between reloads triggered by a kid we do not know. */
  missCooldownMs: number;
  /** Backoff bounds (ms) of the startup retry loop. */
  retryMinMs?: number;
  retryMaxMs?: number;
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

  // One load at a time: a burst of unknown kids or refreshes shares a single request.
  function reload(reason: KeySetLoadReason): Promise<LoadedKeys> {
    inFlight ??= options
      .loadKeySet(reason)
      .then((jwks) => (loaded = { resolve: createLocalJWKSet(jwks), loadedAt: options.now() }))
      .finally(() => { inFlight = undefined; });
    return inFlight;
  }

  async function start(signal?: AbortSignal): Promise<void> {
    let delay = options.retryMinMs ?? 250;
    while (!loaded && !signal?.aborted) {
      try {
        await reload('startup');
      } catch (error) {
        options.onLoadError?.('startup', error);
        await sleep(delay * (0.5 + Math.random() / 2), signal);
        delay = Math.min(delay * 2, options.retryMaxMs ?? 30_000);
      }
    }
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    const current = loaded;
    if (!current) throw new Denial('keys_unavailable', 'signing keys are not loaded yet');
    const now = options.now();
    if (now - current.loadedAt >= options.refreshAfterMs && !inFlight) {
      reload('refresh').catch((error: unknown) => options.onLoadError?.('refresh', error));
    }
    try {
      return await current.resolve(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || now - lastMissReloadAt < options.missCooldownMs) throw error;
      lastMissReloadAt = now;
      const fresh = await reload('unknown_kid').catch((loadError: unknown) => {
        options.onLoadError?.('unknown_kid', loadError);
        throw error;
      });
      return fresh.resolve(header, token);
    }
  };

  return { start, isReady: () => loaded !== undefined, getKey };
}
