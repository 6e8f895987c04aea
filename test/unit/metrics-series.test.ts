import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createBatchedCounter } from '../../src/observability/metrics/batched-counter.js';
import { createCountingHistogram } from '../../src/observability/metrics/counting-histogram.js';
import { promtoolCheck, valueOf } from '../support/prometheus.js';

const BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const LABELS = [{ result: 'allow', via: 'jwt' }, { result: 'deny', via: 'none' }, { result: 'allow', via: 'resolver' }];

// Our histogram must print exactly what prom-client's own prints for the same observations.
describe('the counting histogram', () => {
  it('renders the same exposition as prom-client Histogram, for any observations', async () => {
    const observation = fc.record({ series: fc.nat({ max: LABELS.length - 1 }), seconds: fc.oneof(fc.constantFrom(...BUCKETS, 0, 2), fc.double({ min: 0, max: 3, noNaN: true })) });
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        const ours = new Registry();
        const theirs = new Registry();
        const counting = createCountingHistogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['result', 'via'], buckets: BUCKETS, registry: ours });
        const reference = new Histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['result', 'via'], buckets: BUCKETS, registers: [theirs] });
        const series = LABELS.map((labels) => counting.series(labels));
        for (const { series: at, seconds } of observations) {
          series[at]!.observe(seconds);
          reference.observe(LABELS[at]!, seconds);
        }
        // prom-client prints a series only once observed; ours from when it is asked for.
        const observed = new Set(observations.map(({ series: at }) => at));
        LABELS.forEach((labels, at) => observed.has(at) || reference.zero(labels));
        const sorted = (text: string) => text.split('\n').sort();
        expect(sorted(await ours.metrics())).toEqual(sorted(await theirs.metrics()));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps one series per label set, ignores a non-finite value, and passes promtool', async () => {
    const registry = new Registry();
    const histogram = createCountingHistogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['result', 'via'], buckets: BUCKETS, registry });
    histogram.series({ result: 'allow', via: 'jwt' }).observe(0.0002);
    histogram.series({ result: 'allow', via: 'jwt' }).observe(Number.NaN);
    histogram.series({ result: 'allow', via: 'jwt' }).observe(7);
    const text = await registry.metrics();
    expect(valueOf(text, 'latency_seconds_count', { result: 'allow', via: 'jwt' })).toBe(2);
    expect(valueOf(text, 'latency_seconds_bucket', { result: 'allow', via: 'jwt', le: '0.00025' })).toBe(1);
    expect(valueOf(text, 'latency_seconds_bucket', { result: 'allow', via: 'jwt', le: '+Inf' })).toBe(2);
    expect(valueOf(text, 'latency_seconds_sum', { result: 'allow', via: 'jwt' })).toBeCloseTo(7.0002, 9);
    expect(text.match(/latency_seconds_count/g)).toHaveLength(1);
    expect(promtoolCheck(text)).toEqual({ status: 0, findings: [] });
  });
});

describe('the batched counter', () => {
  it('hands every increment to prom-client at each scrape, and the total keeps growing', async () => {
    const registry = new Registry();
    const counter = createBatchedCounter({ name: 'answers_total', help: 'Answers.', labelNames: ['result'], registers: [registry] });
    const allow = counter.series({ result: 'allow' });
    for (let i = 0; i < 3; i++) allow.inc();
    counter.series({ result: 'deny' }).inc();
    expect(valueOf(await registry.metrics(), 'answers_total', { result: 'allow' })).toBe(3);
    allow.inc();
    counter.series({ result: 'allow' }).inc();
    const text = await registry.metrics();
    expect(valueOf(text, 'answers_total', { result: 'allow' })).toBe(5);
    expect(valueOf(text, 'answers_total', { result: 'deny' })).toBe(1);
  });
});
