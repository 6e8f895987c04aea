/**
 * The shapes and constants of Envoy's ext_authz messages this server reads and writes, as
 * envoy-auth-proto.ts declares them (snake_case, Envoy's names). No protobuf here: the
 * decision side uses these without loading the codec.
 */
export const CHECK_METHOD_PATH = '/envoy.service.auth.v3.Authorization/Check';

/** google.rpc.Code values Envoy's ext_authz client tells apart (google/rpc/code.proto). */
export const RPC_CODE = { OK: 0, PERMISSION_DENIED: 7, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;
export const OVERWRITE_IF_EXISTS_OR_ADD = 2;

// The shapes below are what protobufjs decodes into and encodes from, snake_case as declared.
export interface HeaderValue { key?: string; value?: string; raw_value?: Uint8Array }
export interface HttpRequestAttributes {
  id?: string;
  method?: string;
  headers?: Record<string, string>;
  path?: string;
  host?: string;
  scheme?: string;
  header_map?: { headers?: HeaderValue[] };
}
export interface CheckRequest { attributes?: { request?: { http?: HttpRequestAttributes } } }

export interface HeaderValueOption { header: { key: string; value: string }; append?: { value: boolean }; append_action?: number }
export interface CheckResponse {
  status: { code: number; message: string };
  denied_response?: { status: { code: number }; headers: HeaderValueOption[]; body: string };
  ok_response?: { headers: HeaderValueOption[]; headers_to_remove: string[] };
}
