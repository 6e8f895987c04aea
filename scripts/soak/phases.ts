import type { CredentialPool } from './credentials.js';
import type { SoakStack } from './stack.js';

export interface Phase {
  name: string;
  /** Applies the fault; the load keeps running meanwhile. */
  enter(stack: SoakStack): void | Promise<void>;
  /** Rotate signing keys this often while current, so fresh tokens keep needing a refetch. */
  rotateEveryMs?: number;
}

const ROTATE_MS = 1500;

export const PHASES: readonly Phase[] = [
  { name: 'baseline', enter: ({ authgear }) => authgear.setState('up') },
  { name: 'authgear-slow', enter: ({ authgear }) => authgear.setState('up', 400), rotateEveryMs: ROTATE_MS },
  { name: 'authgear-timeouts', enter: ({ authgear }) => authgear.setState('up', 2500), rotateEveryMs: ROTATE_MS },
  { name: 'authgear-down', enter: ({ authgear }) => authgear.setState('down'), rotateEveryMs: ROTATE_MS },
  { name: 'authgear-back', enter: ({ authgear }) => authgear.setState('up'), rotateEveryMs: ROTATE_MS },
  { name: 'redis-killed', enter: ({ redis }) => redis.kill() },
  { name: 'redis-restarted', enter: ({ redis }) => redis.restart() },
];

/** Rotates keys every `everyMs` until stopped; a failed rotation is reported, not thrown. */
export function startRotating(credentials: CredentialPool, everyMs: number): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      if (!stopped) await credentials.rotate().catch((error: Error) => process.stderr.write(`soak: rotation failed: ${error.message}\n`));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}
