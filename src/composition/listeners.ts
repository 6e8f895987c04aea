import { getRequestListener } from '@hono/node-server';
import type { Config } from '../config/load-config.js';
import type { AuthDecision } from '../decision/decide.js';
import { IDENTITY_HEADER_NAMES } from '../decision/identity/identity.js';
import { ROUTING_HEADERS } from '../decision/request/routing-headers.js';
import { createCheckService, type CheckService } from '../gateways/ext-authz-grpc/check-service.js';
import { createExtAuthzListener } from '../gateways/ext-authz-http.js';
import { createGateListener, type RequestListener } from '../gateways/listener.js';
import type { Logger } from '../observability/logging.js';
import type { Metrics } from '../observability/metrics/metrics.js';
import type { Observers } from '../observability/observers.js';
import { createMetricsApp, createMetricsRoute } from '../ops/metrics-route.js';
import { createOpsApp, type ReadinessReport } from '../ops/ops-app.js';

export interface Listeners {
  /** PORT's listener: /auth, health, readiness (and metrics unless METRICS_PORT is set). */
  listener: RequestListener;
  /** METRICS_PORT's listener, when that is set. */
  metricsListener: RequestListener | undefined;
  /** EXT_AUTHZ_PORT's listener (ext_authz over HTTP, every path a question), when that is set. */
  extAuthzListener: RequestListener | undefined;
  /** EXT_AUTHZ_GRPC_PORT's Check service (Envoy ext_authz over gRPC), when that is set. */
  extAuthzGrpc: CheckService | undefined;
}

/** Every gateway protocol the configuration turns on, each a reader in front of the one decision. */
export function composeListeners(
  config: Config,
  deps: { decide: AuthDecision; metrics: Metrics; observers: Observers; logger: Logger; readiness: () => Promise<ReadinessReport> },
): Listeners {
  const { decide, metrics, observers } = deps;
  // Hono's Node adapter would otherwise replace the process's global Request and Response.
  const honoListener = (app: { fetch: Parameters<typeof getRequestListener>[0] }) => getRequestListener(app.fetch, { overrideGlobalObjects: false });
  // Headers only the sidecar may set: what ext_authz answers replace or remove upstream.
  const trustedHeaders = [...IDENTITY_HEADER_NAMES, ...config.claimHeaders.map(({ header }) => header)];
  // The client's ID token is the sidecar's to read; routing headers are the client's words on
  // what the sidecar judged from the request itself. Neither reaches the app through Envoy.
  const removedOnAllow = [config.idTokenHeader, ...ROUTING_HEADERS];
  const ops = createOpsApp({
    readiness: deps.readiness,
    ...(config.metricsPort === undefined ? { metricsRoute: createMetricsRoute(metrics) } : {}),
  });
  return {
    listener: createGateListener({ decide, gateway: config.gateway, ops: honoListener(ops), onWriteError: observers.writeError }),
    metricsListener: config.metricsPort === undefined ? undefined : honoListener(createMetricsApp(metrics)),
    extAuthzListener:
      config.extAuthzPort === undefined
        ? undefined
        : createExtAuthzListener({
            decide,
            pathPrefix: config.extAuthzPathPrefix,
            identityHeaderNames: trustedHeaders,
            sidecarOnlyHeaders: removedOnAllow,
            onWriteError: observers.writeError,
          }),
    extAuthzGrpc:
      config.extAuthzGrpcPort === undefined
        ? undefined
        : createCheckService({
            decide,
            trustedHeaders,
            trustedPrefix: 'x-authgear-',
            sidecarOnlyHeaders: removedOnAllow,
            onWriteError: observers.writeError,
            onDeadline: () => deps.logger.warn('ext_authz gRPC: no decision before the caller\'s deadline; answered 503'),
          }),
  };
}
