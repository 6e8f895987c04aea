import { once } from 'node:events';
import { CacheError, type Cache, type RedisConnectionState } from './cache.js';
import type { RedisClient } from './redis-client.js';

export interface RedisCacheOptions {
  client: RedisClient;
  /** Prepended to every key, so several services can share one Redis. */
  keyPrefix: string;
  /** Budget of one command: past it, the caller falls back as if Redis were down. */
  timeoutMs: number;
  /** How long ping() waits for a connection being opened (start-up, readiness). */
  connectTimeoutMs: number;
  onError?: (operation: string, error: unknown) => void;
  onState?: (state: RedisConnectionState) => void;
  tracing?: CommandTracing;
}

/** A span per command when tracing is on, so a slow Redis shows in the request's trace. */
export interface CommandTracing {
  /** Opens the span of one command (never its key); the returned function ends it, with the error if it failed. */
  startCommand(operation: string): (error?: unknown) => void;
}

// ioredis emits each status it enters as an event of that name (Redis and Cluster alike).
const STATES: Record<string, RedisConnectionState> = { connecting: 'connecting', connect: 'connecting', ready: 'ready', reconnecting: 'reconnecting', close: 'closed', end: 'closed' };

const OPENING = new Set(['wait', 'connecting', 'connect']);

/**
 * Redis behind the narrow Cache interface. Every command is bounded in time and fails fast
 * while the connection is down (ioredis reconnects in the background), so a Redis outage
 * costs a fallback, never a hung request.
 */
export function createRedisCache(options: RedisCacheOptions): Cache {
  const { client, keyPrefix, timeoutMs } = options;
  client.on('error', (error: unknown) => options.onError?.('connection', error));
  if (options.onState) {
    for (const [event, state] of Object.entries(STATES)) client.on(event, () => options.onState!(state));
    options.onState(STATES[client.status] ?? 'closed');
  }

  function command<T>(operation: string, send: () => Promise<T>): Promise<T> {
    const end = options.tracing?.startCommand(operation);
    const failed = (error: unknown): never => {
      end?.(error);
      options.onError?.(operation, error);
      throw error instanceof CacheError ? error : new CacheError(`redis ${operation} failed`, { cause: error });
    };
    if (client.status !== 'ready') {
      if (client.status === 'wait') client.connect().catch(() => undefined);
      return Promise.reject(new CacheError(`redis is ${client.status}`)).catch(failed);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new CacheError(`redis ${operation} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    const succeeded = end && ((value: T) => { end(); return value; });
    return Promise.race([send(), deadline]).then(succeeded, failed).finally(() => clearTimeout(timer));
  }

  const ttl = (ttlMs: number) => Math.max(1, Math.ceil(ttlMs));

  return {
    kind: 'redis',
    get: (key) => command('get', async () => (await client.get(keyPrefix + key)) ?? undefined),
    set: (key, value, ttlMs) => command('set', async () => void (await client.set(keyPrefix + key, value, 'PX', ttl(ttlMs)))),
    add: (key, value, ttlMs) => command('add', async () => (await client.set(keyPrefix + key, value, 'PX', ttl(ttlMs), 'NX')) === 'OK'),
    del: (key) => command('del', async () => void (await client.del(keyPrefix + key))),
    async ping() {
      if (client.status === 'wait') client.connect().catch(() => undefined);
      if (OPENING.has(client.status)) {
        await once(client, 'ready', { signal: AbortSignal.timeout(options.connectTimeoutMs) }).catch((error: unknown) => {
          throw new CacheError(`redis did not connect within ${options.connectTimeoutMs} ms`, { cause: error });
        });
      }
      await command('ping', () => client.ping());
    },
    async close() {
      client.disconnect();
    },
  };
}
