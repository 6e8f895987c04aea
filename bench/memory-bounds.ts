/** The bounds of issue #25, in docs/performance.md (Memory). */
export const MEMORY_BOUNDS = {
  idleOverBareMb: 20,
  perEntryBytes: 1024,
  loadOverIdle: 1.5,
  /** RSS after the last leak run, over that after the second. */
  leakGrowth: 1.1,
  /** RSS once the full cache evicted as many entries as it holds, over that when it filled. */
  evictionGrowth: 1.1,
} as const;
