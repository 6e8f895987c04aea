import { Counter, type CounterConfiguration, type LabelValues } from 'prom-client';

export interface CounterSeries {
  inc(): void;
}

/**
 * A prom-client Counter whose hot-path increments are plain additions. prom-client validates
 * and hashes the labels on every inc(); with answers counted per request that was a
 * measurable part of a cached /auth answer. Each label set gets a series once, and the sums
 * reach prom-client when it collects, i.e. at every scrape, so /metrics is exact.
 */
export function createBatchedCounter<T extends string>(configuration: Omit<CounterConfiguration<T>, 'collect'> & { labelNames: readonly T[] }) {
  const all = new Map<string, { labels: LabelValues<T>; pending: number }>();
  new Counter<T>({
    ...configuration,
    collect() {
      for (const series of all.values()) {
        if (series.pending === 0) continue;
        this.inc(series.labels, series.pending);
        series.pending = 0;
      }
    },
  });
  return {
    /** The series of these labels; callers on a hot path keep it rather than ask again. */
    series(labels: Record<T, string>): CounterSeries {
      const key = configuration.labelNames.map((label) => labels[label]).join('\u0000');
      let series = all.get(key);
      if (!series) all.set(key, (series = { labels: { ...labels } as LabelValues<T>, pending: 0 }));
      const counted = series;
      return {
        inc() {
          counted.pending++;
        },
      };
    },
  };
}
