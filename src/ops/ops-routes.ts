import type { Context, Handler } from 'hono';
import type { Metrics } from '../observability/metrics/metrics.js';

export interface ReadinessReport {
  ready: boolean;
  /** Per dependency: 'ok', or what is wrong. Degraded dependencies do not make us unready. */
  checks: Record<string, string>;
}

/** Liveness: the process answers. */
export const healthRoute: Handler = function health(c: Context) {
  return c.text('ok');
};

/** Readiness: keys loaded and not draining (dependencies that only slow us down are reported, not failed on). */
export function createReadinessRoute(readiness: () => ReadinessReport | Promise<ReadinessReport>): Handler {
  return async function ready(c: Context) {
    const report = await readiness();
    return c.json(report, report.ready ? 200 : 503);
  };
}

/** The Prometheus text exposition. */
export function createMetricsRoute(metrics: Metrics): Handler {
  return async function metricsRoute(c: Context) {
    return c.body(await metrics.text(), 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
  };
}
