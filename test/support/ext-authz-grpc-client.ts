import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/**
 * Envoy's side of ext_authz over gRPC, declared here independently of src/ (a field number
 * wrong in both would otherwise go unnoticed): the CheckRequest as Envoy's ext_authz filter
 * fills it, with fields the server does not read (peers, time, size, protocol, context
 * extensions) so that skipping them is tested too, and the whole CheckResponse as Envoy reads it.
 * Envoy's api/envoy/service/auth/v3/{external_auth,attribute_context}.proto,
 * api/envoy/config/core/v3/{base,address}.proto, api/envoy/type/v3/http_status.proto,
 * google/rpc/status.proto.
 */
const ENVOY_SIDE = [
  `syntax = "proto3"; package google.protobuf;
  message BoolValue { bool value = 1; }
  message Timestamp { int64 seconds = 1; int32 nanos = 2; }`,
  `syntax = "proto3"; package google.rpc;
  message Status { int32 code = 1; string message = 2; }`,
  `syntax = "proto3"; package envoy.config.core.v3;
  message SocketAddress { string address = 2; uint32 port_value = 3; }
  message Address { SocketAddress socket_address = 1; }
  message HeaderValue { string key = 1; string value = 2; bytes raw_value = 3; }
  message HeaderMap { repeated HeaderValue headers = 1; }
  message HeaderValueOption { HeaderValue header = 1; google.protobuf.BoolValue append = 2; int32 append_action = 3; bool keep_empty_value = 4; }`,
  `syntax = "proto3"; package envoy.type.v3;
  message HttpStatus { int32 code = 1; }`,
  `syntax = "proto3"; package envoy.service.auth.v3;
  message AttributeContext {
    message Peer { envoy.config.core.v3.Address address = 1; string service = 2; map<string, string> labels = 3; string principal = 4; string certificate = 5; }
    message HttpRequest {
      string id = 1; string method = 2; map<string, string> headers = 3; string path = 4; string host = 5; string scheme = 6;
      string query = 7; string fragment = 8; int64 size = 9; string protocol = 10; string body = 11; bytes raw_body = 12;
      envoy.config.core.v3.HeaderMap header_map = 13;
    }
    message Request { google.protobuf.Timestamp time = 1; HttpRequest http = 2; }
    Peer source = 1; Peer destination = 2; Request request = 4; map<string, string> context_extensions = 10;
  }
  message CheckRequest { AttributeContext attributes = 1; }
  message DeniedHttpResponse { envoy.type.v3.HttpStatus status = 1; repeated envoy.config.core.v3.HeaderValueOption headers = 2; string body = 3; }
  message OkHttpResponse {
    repeated envoy.config.core.v3.HeaderValueOption headers = 2; repeated string headers_to_remove = 5;
    repeated envoy.config.core.v3.HeaderValueOption response_headers_to_add = 6;
  }
  message CheckResponse {
    google.rpc.Status status = 1;
    oneof http_response { DeniedHttpResponse denied_response = 2; OkHttpResponse ok_response = 3; DeniedHttpResponse error_response = 5; }
  }`,
];

const root = new protobuf.Root();
for (const text of ENVOY_SIDE) protobuf.parse(text, root, { keepCase: true });
root.resolveAll();
const CheckRequestType = root.lookupType('envoy.service.auth.v3.CheckRequest');
const CheckResponseType = root.lookupType('envoy.service.auth.v3.CheckResponse');

export interface HeaderOption { header: { key: string; value?: string }; append?: { value?: boolean }; append_action?: number }
export interface CheckResponse {
  status?: { code?: number; message?: string };
  denied_response?: { status?: { code?: number }; headers?: HeaderOption[]; body?: string };
  ok_response?: { headers?: HeaderOption[]; headers_to_remove?: string[] };
  error_response?: unknown;
}

export interface OriginalHttpRequest {
  method?: string;
  host?: string;
  path?: string;
  scheme?: string;
  headers?: Record<string, string>;
  /** Instead of `headers`, as Envoy sends them with `encode_raw_headers: true`. */
  rawHeaders?: Array<[string, string]>;
}

/** A CheckRequest as Envoy's HTTP ext_authz filter builds it for one downstream request. */
export function envoyCheckRequest(request: OriginalHttpRequest): Record<string, unknown> {
  const headers = { ':authority': request.host, ':method': request.method, ':path': request.path, ':scheme': request.scheme, ...request.headers };
  return {
    attributes: {
      source: { address: { socket_address: { address: '10.0.0.7', port_value: 51234 } }, principal: 'spiffe://cluster.local/ns/x/sa/y' },
      destination: { address: { socket_address: { address: '10.0.0.9', port_value: 8443 } } },
      context_extensions: { route: 'my-app' },
      request: {
        time: { seconds: Math.floor(Date.now() / 1000), nanos: 1 },
        http: {
          id: '12345678901234567890',
          method: request.method,
          host: request.host,
          path: request.path,
          scheme: request.scheme,
          protocol: 'HTTP/2',
          size: -1,
          ...(request.rawHeaders
            ? { header_map: { headers: request.rawHeaders.map(([key, value]) => ({ key, raw_value: Buffer.from(value) })) } }
            : { headers: Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) }),
        },
      },
    },
  };
}

export const encodeCheckRequest = (request: Record<string, unknown>): Buffer =>
  Buffer.from(CheckRequestType.encode(CheckRequestType.fromObject(request)).finish());

export interface ExtAuthzClient {
  /** Sends a CheckRequest (an object to encode, or raw bytes) as Envoy does; rejects with the call's gRPC error. */
  check(request: Record<string, unknown> | Buffer, options?: { deadlineMs?: number }): Promise<CheckResponse>;
  close(): void;
}

export function extAuthzClient(port: number): ExtAuthzClient {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    check: (request, options = {}) =>
      new Promise((resolve, reject) => {
        const bytes = Buffer.isBuffer(request) ? request : encodeCheckRequest(request);
        client.makeUnaryRequest(
          '/envoy.service.auth.v3.Authorization/Check',
          (message: Buffer) => message,
          (reply: Buffer) => CheckResponseType.toObject(CheckResponseType.decode(reply), { defaults: false, arrays: true }) as CheckResponse,
          bytes,
          new grpc.Metadata(),
          { deadline: Date.now() + (options.deadlineMs ?? 5000) },
          (error, response) => (error ? reject(error) : resolve(response!)),
        );
      }),
    close: () => client.close(),
  };
}

/** The headers of a response as Envoy would apply them: name -> values, in order. */
export function headerValues(options: HeaderOption[] | undefined): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const { header } of options ?? []) (result[header.key] ??= []).push(header.value ?? '');
  return result;
}
