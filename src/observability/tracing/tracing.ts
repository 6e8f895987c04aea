import type { CommandTracing } from '../../cache/redis-cache.js';
import type { TraceSampler } from '../../config/tracing-settings.js';
import type { DecisionTracing } from '../../decision/decision-tracing.js';
import type { UpstreamTracing } from '../../upstream/http-client.js';

/**
 * Tracing as the gate's parts take it: each part knows only its own narrow hook, and this is
 * every hook from one implementation (otel-tracing.ts). This module imports nothing of
 * OpenTelemetry, so composition can name the type and load the implementation only when on.
 */
export interface Tracing {
  decision: DecisionTracing;
  upstream: UpstreamTracing;
  redis: CommandTracing;
  /** Exports what is still buffered (bounded by the exporter's timeout) and stops. */
  close(): Promise<void>;
}

export interface TracingOptions {
  /** Where OTLP/HTTP spans are posted, and in which encoding. */
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
  serviceVersion: string;
  sampler: TraceSampler;
  /** The traceidratio samplers' ratio. */
  ratio: number;
  /** Milliseconds between two exports. */
  exportDelayMs: number;
  /** Whether the decision span carries who authenticated (TRACE_USER_ID). */
  recordUserId: boolean;
  /** An export that failed: spans lost, the requests themselves unharmed. */
  onExportError(error: unknown): void;
}
