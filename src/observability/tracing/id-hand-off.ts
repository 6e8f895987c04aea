import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace';

/** The SDK's random ids, except that the next trace id can be handed over. */
export interface IdHandOff extends IdGenerator {
  /** The trace id the next root span gets: the one its sampling decision was made with. */
  handOver(traceId: string): void;
}

/**
 * The decision samples before it asks the SDK for a span (decision-span.ts): a new root's
 * trace id is drawn first, sampled, and only a span that will be recorded is started by the
 * SDK, which must then use that same id, or the ratio sampler would decide again on another.
 */
export function createIdHandOff(): IdHandOff {
  const random = new RandomIdGenerator();
  let handedOver: string | undefined;
  return {
    generateTraceId() {
      const traceId = handedOver ?? random.generateTraceId();
      handedOver = undefined;
      return traceId;
    },
    generateSpanId: () => random.generateSpanId(),
    handOver(traceId) {
      handedOver = traceId;
    },
  };
}
