import type { DecisionEvent, TraceIds } from './question.js';
import type { HeaderLookup } from './request/header-reader.js';

/** The W3C Trace Context headers a decision continues: what each gateway must pass on. */
export const TRACE_CONTEXT_HEADERS = ['traceparent', 'tracestate'] as const;

/**
 * How a decision is traced, when tracing is on (observability/tracing/ implements it with
 * OpenTelemetry, loaded only then). The decision knows nothing else of it: without one it
 * starts no span and allocates nothing for tracing.
 */
export interface DecisionTracing {
  /** Opens the decision's span, continuing the trace of the question's Trace Context headers. */
  start(header: HeaderLookup): DecisionSpan;
}

export interface DecisionSpan {
  /** For the decision's log line; undefined when the decision belongs to no trace anyone will see. */
  readonly ids: TraceIds | undefined;
  /** Runs the decision within the span, so that its calls out (Authgear, Redis) are the span's children. */
  within<T>(work: () => T): T;
  /** Ends the span with what was decided. */
  end(event: DecisionEvent): void;
}
