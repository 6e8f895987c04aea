import type { Config } from '../config/load-config.js';
import type { Logger } from '../observability/logging.js';
import { packageVersion } from '../observability/metrics/build-info.js';
import { createExportFailureLog } from '../observability/tracing/export-log.js';
import type { Tracing } from '../observability/tracing/tracing.js';

/**
 * Tracing, when an exporter is configured; otherwise undefined, and nothing of OpenTelemetry
 * is ever imported: the SDK is loaded here, at start, only when it will be used. The caller
 * (server.ts) owns it and closes it after the gate, so the last spans are exported.
 */
export async function loadTracing(config: Config, deps: { logger: Logger; now?: () => number }): Promise<Tracing | undefined> {
  const traces = config.derived.tracesExport;
  if (traces === undefined) return undefined;
  const { createOtelTracing } = await import('../observability/tracing/otel-tracing.js');
  return createOtelTracing({
    url: traces.url,
    protocol: traces.protocol,
    serviceName: config.otelServiceName,
    serviceVersion: packageVersion(),
    sampler: config.otelTracesSampler,
    ratio: config.otelTracesSamplerArg ?? 1,
    exportDelayMs: config.otelBspScheduleDelay,
    recordUserId: config.traceUserId,
    onExportError: createExportFailureLog(deps.logger, deps.now ?? Date.now),
  });
}
