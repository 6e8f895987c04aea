import { Hono } from 'hono';
import type { Metrics } from '../observability/metrics/metrics.js';
import { createMetricsRoute } from '../ops/ops-routes.js';

/** /metrics alone, for METRICS_PORT: scrapers reach it, clients of /auth do not. */
export function createMetricsApp(metrics: Metrics): Hono {
  const app = new Hono();
  app.get('/metrics', createMetricsRoute(metrics));
  app.notFound((c) => c.text('not found', 404));
  return app;
}
