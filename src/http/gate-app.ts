import type { HttpBindings } from '@hono/node-server';
import { Hono, type Handler } from 'hono';
import type { AuthDecision } from '../decision/question.js';
import type { AuthRequestGateway } from '../gateways/auth-request.js';
import { REASON_HEADER } from '../gateways/http-answer.js';
import type { Metrics } from '../observability/metrics/metrics.js';
import { createMetricsRoute, createReadinessRoute, healthRoute, type ReadinessReport } from '../ops/ops-routes.js';
import { createDecisionRoute } from './answer-on-node.js';

export interface GateAppOptions {
  decide: AuthDecision;
  /** nginx auth_request and ForwardAuth, as /auth reads and answers them. */
  authRequests: AuthRequestGateway;
  readiness: () => ReadinessReport | Promise<ReadinessReport>;
  /** /metrics here too, unless METRICS_PORT serves it apart. */
  metrics: Metrics | undefined;
  /** More routes of the sidecar's own (the assertion keys). */
  extraRoutes?: ReadonlyArray<{ path: string; handler: Handler }>;
  /** A decision that failed or an answer that could not be written; it was answered 503. */
  onWriteError(error: unknown): void;
}

/** Fail closed on anything a route did not handle: 503, never Hono's default 500 and its body. */
export function failClosed(): Response {
  return new Response(null, { status: 503, headers: { 'content-length': '0', 'cache-control': 'no-store', 'retry-after': '5', [REASON_HEADER]: 'internal_error' } });
}

/**
 * PORT: "a tiny Hono service exposes a /auth endpoint". /auth answers nginx auth_request and
 * ForwardAuth (Traefik, Caddy), whatever the method they ask with; beside it the sidecar's
 * own routes: liveness, readiness, and metrics unless they have a port of their own.
 */
export function createGateApp(options: GateAppOptions): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.all('/auth', createDecisionRoute(options.decide, (_incoming, header, target) => options.authRequests(header, target.query), options.onWriteError));
  app.get('/healthz', healthRoute);
  app.get('/readyz', createReadinessRoute(options.readiness));
  if (options.metrics) app.get('/metrics', createMetricsRoute(options.metrics));
  for (const { path, handler } of options.extraRoutes ?? []) app.get(path, handler);
  app.notFound((c) => c.text('not found', 404));
  app.onError(failClosed);
  return app;
}
