import type { Sharing } from './sharing.js';
import type { Config } from '../config/load-config.js';
import type { Observers } from '../observability/observers.js';
import type { Tracing } from '../observability/tracing/tracing.js';
import { fetchProviderMetadata, type ProviderMetadata } from '../oidc/discovery.js';
import { fetchJwks } from '../oidc/fetch-jwks.js';
import { createKeyStore, type KeyStore } from '../oidc/key-store.js';
import { createUpstreamClient } from '../upstream/http-client.js';

export interface AuthgearKeys {
  keyStore: KeyStore;
  /** Discovery, once the first key set was loaded. */
  metadata(): ProviderMetadata | undefined;
  close(): void;
}

/** Authgear's signing keys: discovery, then the JWKS of the issuer origin, shared through `sharing`. */
export function composeKeys(config: Config, deps: { now: () => number; observers: Observers; sharing: Sharing; tracing: Tracing | undefined }): AuthgearKeys {
  const authgear = createUpstreamClient({
    baseUrl: config.derived.keysBaseUrl,
    publicOrigin: config.authgearEndpoint,
    timeoutMs: config.upstreamTimeoutMs,
    maxInFlight: config.upstreamMaxInFlight,
    maxQueued: config.upstreamMaxQueued,
    observer: deps.observers.upstream('keys'),
    ...(deps.tracing ? { tracing: deps.tracing.upstream } : {}),
  });
  let metadata: ProviderMetadata | undefined;
  const fetchKeySet = async () => {
    metadata ??= await fetchProviderMetadata(authgear, config.authgearEndpoint);
    return fetchJwks(authgear, metadata.jwksPath);
  };
  const keyStore = createKeyStore({
    now: deps.now,
    refreshAfterMs: config.jwksRefreshSeconds * 1000,
    missCooldownMs: config.jwksMissCooldownSeconds * 1000,
    loadKeySet: deps.sharing.keySetLoader(fetchKeySet),
    ...deps.observers.keyStore,
  });
  return { keyStore, metadata: () => metadata, close: () => authgear.close() };
}
