import type { CacheObserver } from '../../src/cache/cache.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createGate, type Gate } from '../../src/gate.js';
import type { DecisionEvent } from '../../src/http/auth-decision.js';
import { createLogger, type Logger } from '../../src/logging.js';
import type { AuthgearStandIn } from './authgear-stand-in.js';

export interface TestGate extends Gate {
  config: Config;
  decisions: DecisionEvent[];
  /** GET /auth with these headers, the way nginx would send it. */
  auth(headers?: Record<string, string>, path?: string): Promise<Response>;
}

/** A gate in this process against the stand-in, started and ready (unless `start: false`). */
export async function startTestGate(
  authgear: AuthgearStandIn,
  env: Record<string, string> = {},
  options: { now?: () => number; start?: boolean; cacheObserver?: CacheObserver; logger?: Logger } = {},
): Promise<TestGate> {
  const config = loadConfig({
    AUTHGEAR_ENDPOINT: authgear.origin,
    ...(authgear.origin !== authgear.url ? { AUTHGEAR_INTERNAL_URL: authgear.url } : {}),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const decisions: DecisionEvent[] = [];
  const gate = createGate(config, {
    logger: options.logger ?? createLogger(config.logLevel),
    ...(options.now ? { now: options.now } : {}),
    ...(options.cacheObserver ? { cacheObserver: options.cacheObserver } : {}),
    onDecision: (event) => decisions.push(event),
  });
  if (options.start !== false) await gate.start();
  return {
    ...gate,
    config,
    decisions,
    auth: (headers = {}, path = '/auth') =>
      Promise.resolve(gate.app.request(path, { headers: { 'x-original-uri': '/app', 'x-original-method': 'GET', host: 'app.example.test', ...headers } })),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
