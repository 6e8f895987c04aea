import { z } from 'zod';

// OpenTelemetry's own variables, as its specification names and spells them, so that an
// operator's usual OTEL_* environment works here. The SDK reads a few more by itself (the
// exporter's headers, timeout, compression and certificates); these are the ones that decide
// whether and where spans go, validated with everything else and passed to the SDK.

/** OpenTelemetry's boolean: `true` in any case is true, anything else among these false. */
const flag = z.string().toLowerCase().pipe(z.enum(['true', 'false'])).transform((value) => value === 'true');

const endpoint = z.url({ protocol: /^https?$/ }).refine((value) => !value.includes('?') && !value.includes('#'), 'must have no query or fragment');

export const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type TraceSampler = (typeof TRACE_SAMPLERS)[number];

/** The OTLP encodings the shipped exporters speak; grpc would need an exporter of its own. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

const protocol = z.string().refine((value) => value !== 'grpc', 'grpc is not supported: use http/protobuf (an OpenTelemetry Collector takes it on port 4318)').pipe(z.enum(OTLP_PROTOCOLS));

export const TRACING_SETTINGS = {
  otelSdkDisabled: { env: 'OTEL_SDK_DISABLED', schema: flag.default(false), doc: 'true turns tracing off whatever else is set.' },
  otelTracesExporter: { env: 'OTEL_TRACES_EXPORTER', schema: z.enum(['otlp', 'none']).optional(), doc: 'otlp sends spans over OTLP/HTTP; none sends nothing. Unset: otlp when an OTLP endpoint is set, else tracing is off.' },
  otelExporterOtlpEndpoint: { env: 'OTEL_EXPORTER_OTLP_ENDPOINT', schema: endpoint.optional(), doc: 'Base URL of the OTLP/HTTP receiver (e.g. http://otel-collector:4318); spans go to its /v1/traces. Setting it turns tracing on.' },
  otelExporterOtlpTracesEndpoint: { env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', schema: endpoint.optional(), doc: 'Full URL spans are posted to, used as given; wins over OTEL_EXPORTER_OTLP_ENDPOINT. Setting it turns tracing on.' },
  otelExporterOtlpProtocol: { env: 'OTEL_EXPORTER_OTLP_PROTOCOL', schema: protocol.default('http/protobuf'), doc: 'http/protobuf or http/json; grpc is not supported.' },
  otelServiceName: { env: 'OTEL_SERVICE_NAME', schema: z.string().min(1).max(255).default('authgear-gate'), doc: 'service.name of every span.' },
  otelTracesSampler: { env: 'OTEL_TRACES_SAMPLER', schema: z.enum(TRACE_SAMPLERS).default('parentbased_always_on'), doc: 'Which requests are recorded; parentbased_* follow the sampled flag of the traceparent the gateway sent.' },
  otelTracesSamplerArg: { env: 'OTEL_TRACES_SAMPLER_ARG', schema: z.coerce.number().min(0).max(1).optional(), doc: 'The ratio (0 to 1) of the traceidratio samplers. Default: 1.' },
  // 250, not the specification's 5000: spans held for seconds made a sidecar at 1% sampling
  // about 5% slower per request in the bench (row 2 traced: 0.90 against 0.96 on average).
  otelBspScheduleDelay: { env: 'OTEL_BSP_SCHEDULE_DELAY', schema: z.coerce.number().int().min(1).max(60_000).default(250), doc: 'Milliseconds between two exports of the recorded spans (the specification says 5000; held that long, spans cost the sidecar about 5% of its speed at 1% sampling).' },
  traceUserId: { env: 'TRACE_USER_ID', schema: flag.default(false), doc: 'true adds the user id (or client id) to the decision span. Default: no span carries who the user is.' },
} as const;

type Parsed = { [K in keyof typeof TRACING_SETTINGS]: z.output<(typeof TRACING_SETTINGS)[K]['schema']> };

/** Where and how spans are sent, when tracing is on. */
export interface TracesExport {
  url: string;
  protocol: (typeof OTLP_PROTOCOLS)[number];
}

/** The OTLP/HTTP default of the specification, for OTEL_TRACES_EXPORTER=otlp without an endpoint. */
const DEFAULT_TRACES_URL = 'http://localhost:4318/v1/traces';

/**
 * Off unless an exporter is configured: OTEL_TRACES_EXPORTER=otlp, or an OTLP endpoint while
 * the exporter is not named. Unlike the SDK's own default (otlp to localhost), a gate started
 * without any OTEL_* variable loads nothing of OpenTelemetry.
 */
export function tracesExportOf(settings: Parsed): TracesExport | undefined {
  if (settings.otelSdkDisabled || settings.otelTracesExporter === 'none') return undefined;
  const endpoint = settings.otelExporterOtlpEndpoint;
  const url = settings.otelExporterOtlpTracesEndpoint ?? (endpoint === undefined ? undefined : `${endpoint.replace(/\/+$/, '')}/v1/traces`);
  if (url === undefined && settings.otelTracesExporter !== 'otlp') return undefined;
  return { url: url ?? DEFAULT_TRACES_URL, protocol: settings.otelExporterOtlpProtocol };
}

/** Tracing settings that only make sense together; only settings that parsed are compared. */
export function tracingProblems(settings: Partial<Parsed>): string[] {
  const { otelTracesSampler: sampler, otelTracesSamplerArg: ratio } = settings;
  if (ratio !== undefined && sampler !== undefined && !sampler.endsWith('traceidratio')) {
    return [`OTEL_TRACES_SAMPLER_ARG: only the traceidratio samplers take a ratio, and OTEL_TRACES_SAMPLER is ${sampler}`];
  }
  return [];
}
