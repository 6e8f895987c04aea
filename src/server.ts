#!/usr/bin/env node
// The only module with process side effects: environment, listening socket, signals, exit.
import { serve } from '@hono/node-server';
import { maskRedisSecrets } from './cache/redis-settings.js';
import { loadConfig, type Config } from './config.js';
import { ConfigError } from './errors.js';
import { createGate } from './gate.js';
import { createLogger } from './logging.js';

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

const logger = createLogger(config.logLevel);
const gate = createGate(config, { logger });
const startup = new AbortController();
void gate.start(startup.signal).then(() => {
  if (gate.keyStore.isReady()) logger.info('signing keys loaded, ready');
});

const server = serve({ fetch: gate.app.fetch, port: config.port, hostname: config.listenHost }, (info) =>
  logger.info({ port: info.port, address: info.address }, 'listening'),
);

let stopping = false;
function shutdown(signal: string) {
  if (stopping) {
    logger.warn({ signal }, 'second signal, exiting now');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down');
  startup.abort();
  server.close(() => {
    void gate.close().then(() => process.exit(0));
  });
  setTimeout(() => process.exit(1), 10_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
