import { Hono, type Context, type Handler } from 'hono';
import type { Metrics } from '../observability/metrics/metrics.js';

export function createMetricsRoute(metrics: Metrics): Handler {
  return async function metricsRoute(c: Context) {
    return c.body(await metrics.text(), 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
  };
}

/** /metrics alone, for METRICS_PORT: scrapers reach it, clients of /auth do not. */
export function createMetricsApp(metrics: Metrics): Hono {
  const app = new Hono();
  app.get('/metrics', createMetricsRoute(metrics));
  app.notFound((c) => c.text('not found', 404));
  return app;
}
