import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace';
import type { TraceSampler } from '../../config/tracing-settings.js';

/** OTEL_TRACES_SAMPLER's sampler, as the specification defines each name. */
export function samplerOf(name: TraceSampler, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/** A new trace to record, by its id; undefined: not recorded. */
export type RootSampler = () => string | undefined;

const WORD = 2 ** 32;
const hexWord = (word: number) => word.toString(16).padStart(8, '0');

/**
 * The sampler's verdict on a decision that continues no trace, reached before any id is
 * written out: the trace id's four 32-bit words are drawn as the SDK's RandomIdGenerator draws
 * them, and their XOR is compared with the ratio as TraceIdRatioBasedSampler compares the
 * words of the id's hex. Only a trace to record gets its id, and the SDK, starting its span
 * with that id, samples it the same way. A cached decision not recorded then costs four
 * random numbers, not an id string and its validation.
 */
export function rootSamplerOf(name: TraceSampler, ratio: number, random: () => number = Math.random): RootSampler {
  if (name === 'always_off' || name === 'parentbased_always_off') return () => undefined;
  const upperBound = name === 'always_on' || name === 'parentbased_always_on' || ratio >= 1 ? WORD : Math.floor(Math.max(0, ratio) * (WORD - 1));
  const draw = () => (random() * WORD) >>> 0;
  return function sampleRoot() {
    const a = draw();
    const b = draw();
    const c = draw();
    // An all-zero id is invalid; the SDK's generator makes its last byte 1.
    const d = draw() || (a | b | c ? 0 : 1);
    if ((a ^ b ^ c ^ d) >>> 0 >= upperBound) return undefined;
    return hexWord(a) + hexWord(b) + hexWord(c) + hexWord(d);
  };
}
