import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { CommandTracing } from '../../cache/redis-cache.js';
import type { UpstreamCallSpan, UpstreamTracing } from '../../upstream/http-client.js';
import { createDecisionTracing } from './decision-span.js';
import { createIdHandOff } from './id-hand-off.js';
import { callAttributes, callStatus, commandAttributes, SPAN } from './span-attributes.js';
import { rootSamplerOf, samplerOf } from './sampler.js';
import { reportingExporter } from './reporting-exporter.js';
import type { Tracing, TracingOptions } from './tracing.js';

const intoRecord: TextMapSetter<Record<string, string>> = { set: (headers, name, value) => { headers[name] = value; } };

const NO_CALL_SPAN: UpstreamCallSpan = Object.freeze({ headers: Object.freeze({}), end: () => undefined });
const endNothing = () => undefined;
/**
 * The last export at shutdown gets this long: the exporter retries an unreachable collector
 * for up to its own timeout (10 s), which would eat the whole shutdown budget.
 */
const CLOSE_WITHIN_MS = 2000;

/**
 * The gate's tracing on the OpenTelemetry SDK, loaded only when tracing is configured. No
 * global is registered (no global tracer provider, propagator or context manager): the
 * provider is this instance's, and the decision's span travels to the calls it causes in an
 * AsyncLocalStorage of its own, entered only while a decision that is recorded or continues a
 * trace runs (decision-span.ts). Calls made outside one (the key set loaded at start) make no
 * root spans.
 */
export function createOtelTracing(options: TracingOptions): Tracing {
  const exporterOptions = { url: options.url };
  const exporter = options.protocol === 'http/json' ? new JsonExporter(exporterOptions) : new ProtobufExporter(exporterOptions);
  const sampler = samplerOf(options.sampler, options.ratio);
  const ids = createIdHandOff();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': options.serviceVersion }),
    sampler,
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor({ exporter: reportingExporter(exporter, options.onExportError), scheduledDelayMillis: options.exportDelayMs })],
  });
  const tracer = provider.getTracer('authgear-gate', options.serviceVersion);
  const propagator = new W3CTraceContextPropagator();
  const current = new AsyncLocalStorage<Span>();

  /** A child span of the decision being traced, or none outside one. */
  function childSpan(name: string, attributes: Parameters<Span['setAttributes']>[0]): { span: Span; context: Context } | undefined {
    const parent = current.getStore();
    if (parent === undefined) return undefined;
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, trace.setSpan(ROOT_CONTEXT, parent));
    return { span, context: trace.setSpan(ROOT_CONTEXT, span) };
  }

  const sampleRoot = rootSamplerOf(options.sampler, options.ratio);
  const decision = createDecisionTracing({ tracer, sampler, sampleRoot, ids, propagator, current, recordUserId: options.recordUserId });

  const upstream: UpstreamTracing = {
    startCall(call) {
      const child = childSpan(SPAN.upstream(call.upstream), callAttributes(call));
      if (!child) return NO_CALL_SPAN;
      const headers: Record<string, string> = {};
      // Sent even when not sampled: Authgear's logs still carry the trace id the gateway chose.
      propagator.inject(child.context, headers, intoRecord);
      return {
        headers,
        end(outcome, status) {
          const { attributes, error } = callStatus(outcome, status);
          child.span.setAttributes(attributes);
          if (error) child.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
          child.span.end();
        },
      };
    },
  };

  const redis: CommandTracing = {
    startCommand(operation) {
      const child = childSpan(SPAN.redis(operation), commandAttributes(operation));
      if (!child) return endNothing;
      return (error) => {
        if (error !== undefined) {
          child.span.setAttribute('error.type', error instanceof Error ? error.name : 'error');
          child.span.setStatus({ code: SpanStatusCode.ERROR });
        }
        child.span.end();
      };
    },
  };

  return { decision, upstream, redis, close: () => Promise.race([provider.shutdown(), sleep(CLOSE_WITHIN_MS, undefined, { ref: false })]) };
}
