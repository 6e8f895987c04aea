import type { Settings } from './settings.js';
import { tracesExportOf, type TracesExport } from './tracing-settings.js';

/**
 * What several components need and the settings only imply, worked out once: where each call
 * to Authgear goes, and the timings that follow from the configured ones.
 */
export interface Derived {
  /** Where discovery and the JWKS are fetched: AUTHGEAR_INTERNAL_URL, else the endpoint. */
  keysBaseUrl: string;
  /** Where /_resolver/resolve is asked: RESOLVER_URL, else AUTHGEAR_INTERNAL_URL, else the endpoint. */
  resolverBaseUrl: string;
  /** Authgear's authorize endpoint until discovery names one on the endpoint's origin. */
  authorizeEndpointFallback: string;
  /** How long opening the Redis connection may take (start-up, readiness): a few command budgets, at least 1 s. */
  redisConnectTimeoutMs: number;
  /** How the key set is shared between replicas through Redis. */
  keySetSharing: {
    /** The shared entry's key: one per project. */
    key: string;
    /** A start-up or refresh reuses a set a peer fetched within half the refresh interval. */
    reuseForMs: number;
    /** A set stays shared long enough for a replica starting while Authgear is down. */
    keepForMs: number;
    /** How long to wait for the peer holding the fetch lock: two upstream deadlines and a second. */
    waitForPeerMs: number;
  };
  /** Where spans go; undefined: tracing is off, and OpenTelemetry is never loaded. */
  tracesExport: TracesExport | undefined;
}

export function deriveSettings(settings: Settings): Derived {
  const refreshMs = settings.jwksRefreshSeconds * 1000;
  return {
    keysBaseUrl: settings.authgearInternalUrl ?? settings.authgearEndpoint,
    resolverBaseUrl: settings.resolverUrl ?? settings.authgearInternalUrl ?? settings.authgearEndpoint,
    authorizeEndpointFallback: `${settings.authgearEndpoint}/oauth2/authorize`,
    redisConnectTimeoutMs: Math.max(1000, settings.redisTimeoutMs * 4),
    keySetSharing: {
      key: `jwks:${settings.authgearEndpoint}`,
      reuseForMs: refreshMs / 2,
      keepForMs: refreshMs * 12,
      waitForPeerMs: settings.upstreamTimeoutMs * 2 + 1000,
    },
    tracesExport: tracesExportOf(settings),
  };
}
