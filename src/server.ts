#!/usr/bin/env node
// The only module with process side effects: environment, listening sockets, signals, exit.
import type { Server } from 'node:http';
import { maskRedisSecrets } from './config/redis-settings.js';
import { loadConfig, type Config } from './config/load-config.js';
import { ConfigError } from './errors.js';
import { createGate } from './gate.js';
import type { ExtAuthzGrpcServer } from './gateways/ext-authz-grpc/grpc-server.js';
import { createHttpServer } from './gateways/http-server.js';
import type { RequestListener } from './gateways/listener.js';
import { createLogOutput } from './observability/log-output.js';
import { createLogger } from './observability/logging.js';
import { createMetrics } from './observability/metrics/metrics.js';
import { createConnectionDrain } from './ops/connection-drain.js';
import { createShutdown } from './ops/shutdown.js';

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`authgear-gate: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

const config = readConfig();
if (process.argv.includes('--check-config')) {
  process.stdout.write(`configuration is valid\n${JSON.stringify(maskRedisSecrets(config), null, 2)}\n`);
  process.exit(0);
}

const metrics = createMetrics({ processMetrics: true });
// For a pipe (a container's stdout) process.stdout writes without blocking: see log-output.ts.
const logOutput = createLogOutput(process.stdout, { onDrop: metrics.logLineDropped });
const logger = createLogger(config.logLevel, logOutput);
const gate = createGate(config, { logger, metrics });
const startup = new AbortController();
void gate.start(startup.signal).then(() => {
  if (gate.keyStore.isReady()) logger.info('signing keys loaded, ready');
});

function listen(name: string, listener: RequestListener, port: number): Server {
  const server = createHttpServer(listener, { maxHeaderBytes: config.maxHeaderBytes });
  server.listen(port, config.listenHost, () => {
    const address = server.address();
    logger.info({ listener: name, port: typeof address === 'object' && address ? address.port : port, address: config.listenHost }, 'listening');
  });
  server.on('error', (error) => {
    logger.fatal({ listener: name, port, error: error.message }, 'cannot listen');
    process.exit(1);
  });
  return server;
}

const servers = [listen('auth', gate.listener, config.port)];
if (gate.metricsListener && config.metricsPort !== undefined) servers.push(listen('metrics', gate.metricsListener, config.metricsPort));
if (gate.extAuthzListener && config.extAuthzPort !== undefined) servers.push(listen('ext-authz', gate.extAuthzListener, config.extAuthzPort));
const drains = servers.map((server) => createConnectionDrain(server));

// gRPC and protobuf are loaded only when their port is set: every other start stays as fast.
async function listenGrpc(port: number): Promise<ExtAuthzGrpcServer> {
  const { createExtAuthzGrpcServer } = await import('./gateways/ext-authz-grpc/grpc-server.js');
  const server = createExtAuthzGrpcServer(gate.extAuthzGrpc!, { maxMessageBytes: config.maxHeaderBytes + 65_536 });
  server.listen(config.listenHost, port).then(
    (bound) => logger.info({ listener: 'ext-authz-grpc', port: bound, address: config.listenHost }, 'listening'),
    (error: Error) => {
      logger.fatal({ listener: 'ext-authz-grpc', port, error: error.message }, 'cannot listen');
      process.exit(1);
    },
  );
  return server;
}
const grpcServers = gate.extAuthzGrpc && config.extAuthzGrpcPort !== undefined ? [await listenGrpc(config.extAuthzGrpcPort)] : [];

const shutdown = createShutdown({
  logger,
  delayMs: config.shutdownDelaySeconds * 1000,
  timeoutMs: config.shutdownTimeoutSeconds * 1000,
  exit: (code) => process.exit(code),
  steps: {
    drain() {
      startup.abort();
      gate.drain();
      drains.forEach((drain) => drain.drain());
    },
    closeListeners: () => Promise.all([...drains.map((drain) => drain.close()), ...grpcServers.map((server) => server.close())]),
    closeClients: () => gate.close(),
    forceClose() {
      servers.forEach((server) => server.closeAllConnections());
      grpcServers.forEach((server) => server.forceClose());
    },
    flushLogs: (withinMs) => logOutput.flush(withinMs),
  },
});
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
