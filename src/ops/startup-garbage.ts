import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type CollectGarbage = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * Returns what starting up left behind, once. Loading the modules and checking the
 * configuration (zod's schemas, the policy) make V8 grow the young generation to its largest
 * size and compile code that never runs again; an idle process would hold both for good, as
 * V8 only shrinks them in a collection that reduces memory, and an idle process never has
 * one. Node has no API for it: gc() is exposed to one new context for this call and hidden
 * again (as Jest does for --logHeapUsage). Under load the young generation grows back to the
 * size V8 finds fastest: the cached path costs 9% more instructions with it held at 1 MB.
 * Returns false when this V8 does not hand gc() out.
 */
export function collectStartupGarbage(): boolean {
  setFlagsFromString('--expose-gc');
  let collect: CollectGarbage | undefined;
  try {
    collect = runInNewContext('typeof gc === "function" ? gc : undefined') as CollectGarbage | undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  if (!collect) return false;
  collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
