/**
 * Concurrent calls for the same key share one execution: a burst of requests carrying the
 * same new session cookie makes one Redis lookup and at most one resolver call.
 */
export function createSingleFlight<T>(): (key: string, work: () => Promise<T>) => Promise<T> {
  const inFlight = new Map<string, Promise<T>>();
  return function singleFlight(key, work) {
    const running = inFlight.get(key);
    if (running) return running;
    const started = work().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}
