import { Counter, type CounterConfiguration, type LabelValues } from 'prom-client';

/**
 * A prom-client Counter whose hot-path increments are plain additions. prom-client validates
 * and hashes the labels on every inc(); with the answers counted per request that was a
 * measurable part of a cached /auth answer. Here each label combination (all from fixed
 * lists, so few) gets its slot once, and the sums reach prom-client when it collects, i.e.
 * at every scrape: what /metrics shows is exact.
 */
export interface BatchedCounter<T extends string> {
  /** Adds 1 to the series of these labels; `key` must name the combination uniquely. */
  inc(key: string, labels: () => LabelValues<T>): void;
}

export function createBatchedCounter<T extends string>(configuration: Omit<CounterConfiguration<T>, 'collect'>): BatchedCounter<T> {
  const pending = new Map<string, { labels: LabelValues<T>; count: number }>();
  new Counter<T>({
    ...configuration,
    collect() {
      for (const series of pending.values()) {
        if (series.count === 0) continue;
        this.inc(series.labels, series.count);
        series.count = 0;
      }
    },
  });
  return {
    inc(key, labels) {
      const series = pending.get(key);
      if (series) series.count++;
      else pending.set(key, { labels: labels(), count: 1 });
    },
  };
}
