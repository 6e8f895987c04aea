import protobuf from 'protobufjs';
import type { CheckRequest, CheckResponse } from './envoy-auth-messages.js';

/**
 * Our own declaration of the part of Envoy's ext_authz API this server reads and writes. No
 * package ships Envoy's protos; names and field numbers are Envoy's, taken from (envoyproxy/envoy):
 *   api/envoy/service/auth/v3/external_auth.proto     (Authorization, CheckRequest, CheckResponse, ...)
 *   api/envoy/service/auth/v3/attribute_context.proto (AttributeContext.Request / .HttpRequest)
 *   api/envoy/config/core/v3/base.proto               (HeaderValue, HeaderValueOption, HeaderMap)
 *   api/envoy/type/v3/http_status.proto               (HttpStatus, StatusCode)
 *   google/rpc/status.proto                           (Status; `details` left out)
 * Fields we never read are left out: protobuf skips unknown fields, so Envoy may send them all.
 */
const DECLARATIONS = [
  `syntax = "proto3"; package google.protobuf;
  message BoolValue { bool value = 1; }`,

  `syntax = "proto3"; package google.rpc;
  message Status { int32 code = 1; string message = 2; }`,

  `syntax = "proto3"; package envoy.config.core.v3;
  message HeaderValue { string key = 1; string value = 2; bytes raw_value = 3; }
  message HeaderMap { repeated HeaderValue headers = 1; }
  message HeaderValueOption {
    enum HeaderAppendAction { APPEND_IF_EXISTS_OR_ADD = 0; ADD_IF_ABSENT = 1; OVERWRITE_IF_EXISTS_OR_ADD = 2; OVERWRITE_IF_EXISTS = 3; }
    HeaderValue header = 1;
    google.protobuf.BoolValue append = 2;
    HeaderAppendAction append_action = 3;
  }`,

  // Envoy's StatusCode lists every IANA code; these are the ones an answer of ours can carry.
  `syntax = "proto3"; package envoy.type.v3;
  enum StatusCode { Empty = 0; OK = 200; Found = 302; BadRequest = 400; Unauthorized = 401; Forbidden = 403;
    RequestTimeout = 408; RequestHeaderFieldsTooLarge = 431; InternalServerError = 500; ServiceUnavailable = 503; }
  message HttpStatus { StatusCode code = 1; }`,

  `syntax = "proto3"; package envoy.service.auth.v3;
  message AttributeContext {
    message HttpRequest {
      string id = 1;
      string method = 2;
      map<string, string> headers = 3;
      string path = 4;
      string host = 5;
      string scheme = 6;
      envoy.config.core.v3.HeaderMap header_map = 13;
    }
    message Request { HttpRequest http = 2; }
    Request request = 4;
  }
  message CheckRequest { AttributeContext attributes = 1; }
  message DeniedHttpResponse {
    envoy.type.v3.HttpStatus status = 1;
    repeated envoy.config.core.v3.HeaderValueOption headers = 2;
    string body = 3;
  }
  message OkHttpResponse {
    repeated envoy.config.core.v3.HeaderValueOption headers = 2;
    repeated string headers_to_remove = 5;
  }
  message CheckResponse {
    google.rpc.Status status = 1;
    oneof http_response {
      DeniedHttpResponse denied_response = 2;
      OkHttpResponse ok_response = 3;
    }
  }`,
];

function declaredRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const text of DECLARATIONS) protobuf.parse(text, root, { keepCase: true });
  root.resolveAll();
  return root;
}

const root = declaredRoot();
const checkRequestType = root.lookupType('envoy.service.auth.v3.CheckRequest');
const checkResponseType = root.lookupType('envoy.service.auth.v3.CheckResponse');

/**
 * A CheckRequest from its wire bytes; undefined when they are not one (truncated, wrong wire
 * types): the caller answers that like a request with no attributes, never with a crash.
 */
export function decodeCheckRequest(bytes: Uint8Array): CheckRequest | undefined {
  try {
    return checkRequestType.toObject(checkRequestType.decode(bytes), { defaults: false, arrays: true }) as CheckRequest;
  } catch {
    return undefined;
  }
}

export function encodeCheckResponse(response: CheckResponse): Buffer {
  return Buffer.from(checkResponseType.encode(checkResponseType.fromObject(response)).finish());
}
