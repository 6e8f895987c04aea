import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * The exporter, with its failures reported to the gate's own log: the SDK would hand them to
 * its global error handler and diag logger, silent unless someone registers globals.
 */
export function reportingExporter(exporter: SpanExporter, onError: (error: unknown) => void): SpanExporter {
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) onError(result.error ?? new Error(`could not export ${spans.length} spans`));
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush!() } : {}),
  };
}
