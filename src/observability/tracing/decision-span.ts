import type { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SamplingDecision, SpanKind, SpanStatusCode, TraceFlags, trace, type Context, type Span, type TextMapGetter, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import type { Sampler } from '@opentelemetry/sdk-trace';
import { TRACE_CONTEXT_HEADERS, type DecisionSpan, type DecisionTracing } from '../../decision/decision-tracing.js';
import type { DecisionEvent } from '../../decision/question.js';
import type { HeaderLookup } from '../../decision/request/header-reader.js';
import type { IdHandOff } from './id-hand-off.js';
import type { RootSampler } from './sampler.js';
import { decisionAttributes, SPAN } from './span-attributes.js';

export interface DecisionTracingDependencies {
  tracer: Tracer;
  /** The tracer's own sampler, asked first here about a decision continuing a trace. */
  sampler: Sampler;
  /** The same sampler's verdict on a new trace. */
  sampleRoot: RootSampler;
  ids: IdHandOff;
  propagator: TextMapPropagator;
  /** Where the decision's span waits for the calls it makes. */
  current: AsyncLocalStorage<Span>;
  recordUserId: boolean;
}

const fromHeaders: TextMapGetter<HeaderLookup> = { keys: () => [...TRACE_CONTEXT_HEADERS], get: (header, name) => header(name) };
const NO_ATTRIBUTES = Object.freeze({});
const NO_LINKS = Object.freeze([]) as [];

/**
 * A decision neither recorded nor continuing a trace: its ids would name a trace that exists
 * nowhere, so it has none, passes none on, and costs no allocation.
 */
const UNTRACED: DecisionSpan = Object.freeze({ ids: undefined, within: <T>(work: () => T) => work(), end: () => undefined });

class TracedDecision implements DecisionSpan {
  constructor(
    private readonly span: Span,
    private readonly deps: DecisionTracingDependencies,
  ) {}

  get ids() {
    return this.span.spanContext();
  }

  within<T>(work: () => T): T {
    return this.deps.current.run(this.span, work);
  }

  end(event: DecisionEvent): void {
    if (this.span.isRecording()) {
      this.span.setAttributes(decisionAttributes(event, this.deps.recordUserId));
      if (event.status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR, message: event.code });
    }
    this.span.end();
  }
}

/**
 * A span per decision, continuing the gateway's Trace Context. The sampler is asked before
 * the SDK starts a span, so that a decision not recorded skips the SDK's per-span bookkeeping:
 * one continuing the gateway's trace gets a bare non-recording span (what the SDK itself would
 * return), whose context its calls out still carry; one that starts no trace gets nothing.
 */
export function createDecisionTracing(deps: DecisionTracingDependencies): DecisionTracing {
  const { tracer, sampler, ids, propagator, sampleRoot } = deps;
  const startSpan = (parent: Context) => new TracedDecision(tracer.startSpan(SPAN.decide, { kind: SpanKind.SERVER }, parent), deps);
  return {
    start(header) {
      const parent = propagator.extract(ROOT_CONTEXT, header, fromHeaders);
      const remote = trace.getSpanContext(parent);
      const continued = remote !== undefined && trace.isSpanContextValid(remote) ? remote : undefined;
      if (continued === undefined) {
        const traceId = sampleRoot();
        if (traceId === undefined) return UNTRACED;
        ids.handOver(traceId);
        return startSpan(parent);
      }
      const sampling = sampler.shouldSample(parent, continued.traceId, SPAN.decide, SpanKind.SERVER, NO_ATTRIBUTES, NO_LINKS);
      if (sampling.decision !== SamplingDecision.NOT_RECORD) return startSpan(parent);
      const traceState = sampling.traceState ?? continued.traceState;
      const span = trace.wrapSpanContext({ traceId: continued.traceId, spanId: ids.generateSpanId(), traceFlags: TraceFlags.NONE, ...(traceState ? { traceState } : {}) });
      return new TracedDecision(span, deps);
    },
  };
}
