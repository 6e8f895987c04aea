import type { Config } from '../config/load-config.js';
import { IDENTITY_HEADER_NAMES } from '../decision/identity/identity.js';
import type { AuthDecision } from '../decision/question.js';
import { ROUTING_HEADERS } from '../decision/request/routing-headers.js';
import { createAuthRequestGateway } from '../gateways/auth-request.js';
import { createExtAuthzGateway } from '../gateways/ext-authz-http.js';
import { createCheckService } from '../gateways/ext-authz-grpc/check-service.js';
import { createExtAuthzApp } from '../http/ext-authz-app.js';
import { createGateApp } from '../http/gate-app.js';
import { createMetricsApp } from '../http/metrics-app.js';
import { serveHttp, type HttpApp, type ServedListener } from '../http/served-listener.js';
import type { Logger } from '../observability/logging.js';
import type { Metrics } from '../observability/metrics/metrics.js';
import type { Observers } from '../observability/observers.js';
import type { ReadinessReport } from '../ops/ops-routes.js';
import type { Handler } from 'hono';

export type ListenerName = 'auth' | 'metrics' | 'ext-authz' | 'ext-authz-grpc';

/** A listener the configuration turns on: its port, and how to build it (no socket yet). */
export interface ListenerSpec {
  name: ListenerName;
  /** The configured port (tests may bind another). */
  port: number;
  /** The Hono app an HTTP listener serves (tests and the bench serve it themselves too). */
  app?: HttpApp;
  open(): Promise<ServedListener>;
}

export interface ListenerDependencies {
  decide: AuthDecision;
  metrics: Metrics;
  observers: Observers;
  logger: Logger;
  readiness: () => Promise<ReadinessReport>;
  /** Routes of the sidecar's own beside /auth on PORT. */
  extraRoutes?: ReadonlyArray<{ path: string; handler: Handler }>;
}

/** Every listener the configuration turns on, each a Hono app (or the gRPC service) in front of the one decision. */
export function composeListeners(config: Config, deps: ListenerDependencies): ListenerSpec[] {
  const { decide, metrics, observers } = deps;
  const http = { maxHeaderBytes: config.maxHeaderBytes };
  // Headers only the sidecar may set: what ext_authz answers replace or remove upstream.
  const trustedHeaders = [...IDENTITY_HEADER_NAMES, ...config.claimHeaders.map(({ header }) => header)];
  // The client's ID token is the sidecar's to read; routing headers are the client's words on
  // what the sidecar judged from the request itself. Neither reaches the app through Envoy.
  const removedOnAllow = [config.idTokenHeader, ...ROUTING_HEADERS];
  const httpListener = (name: ListenerName, port: number, app: HttpApp): ListenerSpec => ({ name, port, app, open: async () => serveHttp(app, http) });
  const gateApp = createGateApp({
    decide,
    authRequests: createAuthRequestGateway(config.gateway),
    readiness: deps.readiness,
    metrics: config.metricsPort === undefined ? metrics : undefined,
    ...(deps.extraRoutes ? { extraRoutes: deps.extraRoutes } : {}),
    onWriteError: observers.writeError('auth'),
  });
  const specs: ListenerSpec[] = [httpListener('auth', config.port, gateApp)];
  if (config.metricsPort !== undefined) specs.push(httpListener('metrics', config.metricsPort, createMetricsApp(metrics)));
  if (config.extAuthzPort !== undefined) {
    const checks = createExtAuthzGateway({ pathPrefix: config.extAuthzPathPrefix, identityHeaderNames: trustedHeaders, removedOnAllow });
    specs.push(httpListener('ext-authz', config.extAuthzPort, createExtAuthzApp(decide, checks, observers.writeError('ext-authz'))));
  }
  if (config.extAuthzGrpcPort !== undefined) {
    const check = createCheckService({
      decide,
      trustedHeaders,
      removedOnAllow,
      onWriteError: observers.writeError('ext-authz-grpc'),
      onDeadline: () => deps.logger.warn('ext_authz gRPC: no decision before the caller\'s deadline; answered 503'),
    });
    // gRPC and protobuf are loaded only when their port is set: every other start stays as light.
    specs.push({
      name: 'ext-authz-grpc',
      port: config.extAuthzGrpcPort,
      open: async () => (await import('../gateways/ext-authz-grpc/grpc-server.js')).createExtAuthzGrpcServer(check, { maxMessageBytes: config.maxHeaderBytes + 65_536 }),
    });
  }
  return specs;
}
