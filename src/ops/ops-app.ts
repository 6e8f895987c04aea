import { Hono, type Handler } from 'hono';

export interface ReadinessReport {
  ready: boolean;
  /** Per dependency: 'ok', or what is wrong. Degraded dependencies do not make us unready. */
  checks: Record<string, string>;
}

export interface OpsAppOptions {
  readiness: () => ReadinessReport | Promise<ReadinessReport>;
  /** Prometheus text; absent when metrics are served on their own port. */
  metricsRoute?: Handler;
}

/** The sidecar's own routes; /auth is answered before them, by gateways/listener.ts. */
export function createOpsApp(options: OpsAppOptions): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', async (c) => {
    const report = await options.readiness();
    return c.json(report, report.ready ? 200 : 503);
  });
  if (options.metricsRoute) app.get('/metrics', options.metricsRoute);
  app.notFound((c) => c.text('not found', 404));
  return app;
}
