import * as grpc from '@grpc/grpc-js';
import type { CheckService } from './check-service.js';
import { CHECK_METHOD_PATH, type CheckRequest, type CheckResponse } from './envoy-auth-messages.js';
import { decodeCheckRequest, encodeCheckResponse } from './envoy-auth-proto.js';

export interface ExtAuthzGrpcServerOptions {
  /** A larger CheckRequest is refused by grpc-js (RESOURCE_EXHAUSTED) before it is decoded. */
  maxMessageBytes: number;
}

export interface ExtAuthzGrpcServer {
  /** Binds plaintext HTTP/2 (h2c); resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Shutdown has begun; gRPC clients hear it at close (GOAWAY), so nothing is said before. */
  drain(): void;
  /** Stops accepting (GOAWAY) and resolves once every call in flight has been answered. */
  close(): Promise<void>;
  /** Drops every connection and call at once: the shutdown deadline passed. */
  forceClose(): void;
}

const SERVICE: grpc.ServiceDefinition<grpc.UntypedServiceImplementation> = {
  Check: {
    path: CHECK_METHOD_PATH,
    requestStream: false,
    responseStream: false,
    originalName: 'Check',
    requestSerialize: () => {
      throw new Error('this server never sends a CheckRequest');
    },
    // Never throws: bytes that are no CheckRequest get a denial, not an INTERNAL error.
    requestDeserialize: (bytes: Buffer): Received => ({ request: decodeCheckRequest(bytes) }),
    responseSerialize: (response: CheckResponse) => encodeCheckResponse(response),
    responseDeserialize: () => {
      throw new Error('this server never reads a CheckResponse');
    },
  },
};

/** What arrived: a CheckRequest, or undefined for bytes that were none (grpc-js needs an object). */
interface Received {
  request: CheckRequest | undefined;
}

function deadlineOf(call: grpc.ServerUnaryCall<unknown, unknown>): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** `host:port` as grpc-js wants it, an IPv6 address in brackets. */
const address = (host: string, port: number) => (host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * Envoy's `envoy.service.auth.v3.Authorization/Check` on its own port, through grpc-js. TLS
 * is left to the mesh or sidecar that carries the traffic, as for the HTTP listeners.
 */
export function createExtAuthzGrpcServer(check: CheckService, options: ExtAuthzGrpcServerOptions): ExtAuthzGrpcServer {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
  });

  function handle(call: grpc.ServerUnaryCall<Received, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>): void {
    const answer = (response: CheckResponse) => {
      // The caller is gone (cancelled, or grpc-js already answered DEADLINE_EXCEEDED).
      if (!call.cancelled) callback(null, response);
    };
    const response = check(call.request.request, deadlineOf(call));
    if (response instanceof Promise) void response.then(answer);
    else answer(response);
  }
  server.addService(SERVICE, { Check: handle });

  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.bindAsync(address(host, port), grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
      }),
    drain: () => undefined,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
    forceClose: () => server.forceShutdown(),
  };
}
