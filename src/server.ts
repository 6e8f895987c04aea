#!/usr/bin/env node
// The only module with process side effects: environment, listening sockets, signals, exit.
import { maskRedisSecrets } from './config/redis-settings.js';
import { loadConfig, type Config } from './config/load-config.js';
import { ConfigError } from './errors.js';
import { loadTracing } from './composition/tracing.js';
import { createGate } from './gate.js';
import type { ServedListener } from './http/served-listener.js';
import { createLogOutput } from './observability/log-output.js';
import { createLogger } from './observability/logging.js';
import { createMetrics } from './observability/metrics/metrics.js';
import { watchFiles } from './ops/file-watch.js';
import { createShutdown } from './ops/shutdown.js';
import { collectStartupGarbage } from './ops/startup-garbage.js';

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
  // Valid, but probably not meant: said, without failing the check.
  for (const warning of config.policyWarnings) process.stderr.write(`authgear-gate: warning: ${warning}\n`);
  process.stdout.write(`configuration is valid\n${JSON.stringify(maskRedisSecrets(config), null, 2)}\n`);
  process.exit(0);
}

const metrics = createMetrics({ processMetrics: true });
// For a pipe (a container's stdout) process.stdout writes without blocking: see log-output.ts.
const logOutput = createLogOutput(process.stdout, { onDrop: metrics.logLineDropped });
const logger = createLogger(config.logLevel, logOutput);
// OpenTelemetry is imported only when an exporter is configured (composition/tracing.ts).
const tracing = await loadTracing(config, { logger });
const gate = await createGate(config, { logger, metrics, ...(tracing ? { tracing } : {}) });
const startup = new AbortController();
void gate.start(startup.signal).then(() => {
  if (gate.keyStore.isReady()) logger.info('signing keys loaded, ready');
  // Started: what starting needed and no request will, goes (see startup-garbage.ts).
  const before = process.memoryUsage.rss();
  if (collectStartupGarbage()) logger.debug({ rssBeforeMb: mb(before), rssAfterMb: mb(process.memoryUsage.rss()) }, 'startup garbage collected');
});
const mb = (bytes: number) => Math.round(bytes / 1048576);

// POLICY_FILE is read again on SIGHUP and when it changes on disk; without one, SIGHUP is
// only logged (rather than Node's default for it, which ends the process).
process.on('SIGHUP', () => gate.reloadPolicy('signal'));
const policyWatch = config.policyFile
  ? watchFiles({
      paths: [config.policyFile],
      onChange: () => gate.reloadPolicy('file'),
      onError: (path, error) => logger.warn({ path, error: error.message }, 'cannot watch the policy file for changes; SIGHUP still reloads it'),
    })
  : undefined;

const listeners: ServedListener[] = [];
for (const spec of gate.listeners) {
  const listener = await spec.open();
  listeners.push(listener);
  listener.listen(config.listenHost, spec.port).then(
    (port) => logger.info({ listener: spec.name, port, address: config.listenHost }, 'listening'),
    (error: Error) => {
      logger.fatal({ listener: spec.name, port: spec.port, error: error.message }, 'cannot listen');
      process.exit(1);
    },
  );
}

const shutdown = createShutdown({
  logger,
  delayMs: config.shutdownDelaySeconds * 1000,
  timeoutMs: config.shutdownTimeoutSeconds * 1000,
  exit: (code) => process.exit(code),
  steps: {
    drain() {
      startup.abort();
      policyWatch?.close();
      gate.drain();
      listeners.forEach((listener) => listener.drain());
    },
    closeListeners: () => Promise.all(listeners.map((listener) => listener.close())),
    // The gate first: spans of the last decisions and calls end before the final export.
    closeClients: async () => {
      await gate.close();
      await tracing?.close();
    },
    forceClose: () => listeners.forEach((listener) => listener.forceClose()),
    flushLogs: (withinMs) => logOutput.flush(withinMs),
  },
});
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
