import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const ENDPOINT = { AUTHGEAR_ENDPOINT: 'https://auth.example.test' };
const exportOf = (env: Record<string, string>) => loadConfig({ ...ENDPOINT, ...env }).derived.tracesExport;
function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ ...ENDPOINT, ...env });
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
}

describe('the OTEL_* settings', () => {
  it('leave tracing off unless an exporter is configured', () => {
    expect(exportOf({})).toBeUndefined();
    expect(exportOf({ OTEL_SERVICE_NAME: 'gate', OTEL_TRACES_SAMPLER: 'always_on' })).toBeUndefined();
    expect(exportOf({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeUndefined();
    expect(exportOf({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' })).toBeUndefined();
  });

  it('send spans to the endpoint\'s /v1/traces, or to the traces endpoint as given', () => {
    expect(exportOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({ url: 'http://collector:4318/v1/traces', protocol: 'http/protobuf' });
    expect(exportOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otlp.example.test/custom', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }))
      .toEqual({ url: 'https://otlp.example.test/custom', protocol: 'http/json' });
    expect(exportOf({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({ url: 'http://localhost:4318/v1/traces', protocol: 'http/protobuf' });
  });

  it('have the specification\'s defaults, and TRACE_USER_ID off', () => {
    expect(loadConfig(ENDPOINT)).toMatchObject({ otelServiceName: 'authgear-gate', otelTracesSampler: 'parentbased_always_on', otelBspScheduleDelay: 250, traceUserId: false, otelSdkDisabled: false });
  });

  it('report every problem at once', () => {
    expect(problemsOf({
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1.5',
      OTEL_SDK_DISABLED: 'yes',
      TRACE_USER_ID: '1',
    })).toEqual([
      expect.stringMatching(/^OTEL_SDK_DISABLED: allowed values are true, false/),
      expect.stringMatching(/^OTEL_TRACES_EXPORTER: allowed values are otlp, none \(got "zipkin"\)/),
      expect.stringMatching(/^OTEL_EXPORTER_OTLP_ENDPOINT: /),
      expect.stringMatching(/^OTEL_EXPORTER_OTLP_PROTOCOL: grpc is not supported: use http\/protobuf/),
      expect.stringMatching(/^OTEL_TRACES_SAMPLER_ARG: must be at most 1/),
      expect.stringMatching(/^TRACE_USER_ID: allowed values are true, false/),
    ]);
  });

  it('refuse a ratio for a sampler that takes none', () => {
    expect(problemsOf({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: '0.1' })).toEqual(['OTEL_TRACES_SAMPLER_ARG: only the traceidratio samplers take a ratio, and OTEL_TRACES_SAMPLER is always_on']);
    expect(problemsOf({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' })).toEqual([]);
  });
});

describe('the root sampler', () => {
  it('samples a new trace as the SDK\'s TraceIdRatioBasedSampler samples its id', async () => {
    const { TraceIdRatioBasedSampler, SamplingDecision } = await import('@opentelemetry/sdk-trace');
    const { ROOT_CONTEXT } = await import('@opentelemetry/api');
    const { rootSamplerOf } = await import('../../src/observability/tracing/sampler.js');
    for (const ratio of [0.01, 0.3, 0.9]) {
      const sdk = new TraceIdRatioBasedSampler(ratio);
      // Every fourth draw decides the id; replaying the same draws shows each id to the SDK.
      let seed = 7;
      const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
      const sampleRoot = rootSamplerOf('parentbased_traceidratio', ratio, random);
      let sampled = 0;
      for (let at = 0; at < 2000; at++) {
        const before = seed;
        const traceId = sampleRoot();
        seed = before;
        const words = [0, 1, 2, 3].map(() => (random() * 2 ** 32) >>> 0);
        const id = words.map((word) => word.toString(16).padStart(8, '0')).join('');
        const decision = sdk.shouldSample(ROOT_CONTEXT, id).decision;
        expect(traceId, id).toBe(decision === SamplingDecision.RECORD_AND_SAMPLED ? id : undefined);
        if (traceId) sampled++;
      }
      expect(sampled / 2000).toBeGreaterThan(ratio / 2);
      expect(sampled / 2000).toBeLessThan(Math.min(1, ratio * 2));
    }
    expect(rootSamplerOf('always_off', 1)()).toBeUndefined();
    expect(rootSamplerOf('parentbased_always_on', 0)()).toMatch(/^[0-9a-f]{32}$/);
  });
});
