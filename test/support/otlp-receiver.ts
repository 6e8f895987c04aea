import http from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

/**
 * An OTLP/HTTP trace receiver, decoding what it is posted as an OpenTelemetry Collector
 * would. No package ships the OTLP .proto files any more (the JS exporters encode by hand),
 * so the messages are declared here, independently of the exporter, from
 * opentelemetry-proto's opentelemetry/proto/{collector/trace/v1/trace_service,trace/v1/trace,
 * common/v1/common,resource/v1/resource}.proto: field numbers and types as published, the
 * fields this gate never sets (events, links, dropped counts) included so that their
 * absence decodes too.
 */
const OTLP = `syntax = "proto3"; package otlp;
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message Status { string message = 2; int32 code = 3; }
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
  repeated Event events = 11; uint32 dropped_events_count = 12; repeated Link links = 13; uint32 dropped_links_count = 14; Status status = 15;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ExportTraceServiceResponse { }`;

const root = protobuf.parse(OTLP, { keepCase: true }).root;
const ExportRequest = root.lookupType('otlp.ExportTraceServiceRequest');

/** SpanKind as OTLP numbers it. */
export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code: number; message: string };
  resource: Record<string, string | number | boolean>;
}

interface KeyValue { key: string; value?: { string_value?: string; bool_value?: boolean; int_value?: number | { toNumber(): number }; double_value?: number } }

const valueOf = ({ value }: KeyValue): string | number | boolean => {
  if (value?.string_value !== undefined) return value.string_value;
  if (value?.bool_value !== undefined) return value.bool_value;
  if (value?.double_value !== undefined) return value.double_value;
  const int = value?.int_value;
  return typeof int === 'object' ? int.toNumber() : (int ?? '');
};
const attributesOf = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((each) => [each.key, valueOf(each)]));
const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');

/** Every span of one decoded export request. */
export function decodeExport(body: Uint8Array): ReceivedSpan[] {
  const request = ExportRequest.toObject(ExportRequest.decode(body), { defaults: false }) as { resource_spans?: Array<{ resource?: { attributes?: KeyValue[] }; scope_spans?: Array<{ spans?: any[] }> }> };
  return (request.resource_spans ?? []).flatMap((resourceSpans) =>
    (resourceSpans.scope_spans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: hex(span.trace_id),
        spanId: hex(span.span_id),
        parentSpanId: hex(span.parent_span_id),
        name: span.name,
        kind: span.kind ?? 0,
        attributes: attributesOf(span.attributes),
        status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
        resource: attributesOf(resourceSpans.resource?.attributes),
      })),
    ),
  );
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  url: string;
  spans: ReceivedSpan[];
  /** Content types and paths of every export received. */
  posts: Array<{ path: string; contentType: string | undefined }>;
  close(): Promise<void>;
}

/** Answers each export as a Collector does: 200 with an empty ExportTraceServiceResponse. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const posts: OtlpReceiver['posts'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', contentType: req.headers['content-type'] });
      if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/x-protobuf') {
        return void res.writeHead(415, { 'content-length': 0 }).end();
      }
      spans.push(...decodeExport(Buffer.concat(chunks)));
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    posts,
    close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}
