import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMORY_BOUNDS } from '../../bench/memory-bounds.js';
import { REPO, tempDir } from '../support/processes.js';

interface MemoryReport {
  idle: Array<{ id: string; rssMb: number; addsMb: number }>;
  perToken: { tokens: number; cacheEntries: number; refused: number; rssPerEntryBytes: number; heapMb: { before: number; full: number } };
  load: { idleMb: number; peakMb: number; afterRunsMb: number[]; errors: number };
}

describe('npm run bench:memory, as a smoke run (asserts that it works, never how much)', () => {
  it('measures idle against the bare server and each optional part, per cached token after full collections, and under load', async () => {
    const json = join(tempDir('bench-memory'), 'memory.json');
    const out = await new Promise<string>((resolve, reject) =>
      execFile('npm', ['run', '--silent', 'bench:memory', '--', '--smoke', '--json', json], { cwd: REPO, timeout: 240_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as MemoryReport;
    expect(report.idle.map((row) => row.id)).toEqual(['bare', 'idle', 'grpc', 'ext-authz-http', 'redis', 'tracing', 'assertions']);
    for (const row of report.idle) expect(row.rssMb, row.id).toBeGreaterThan(20);
    // Every token verified once and held: the cache's own count, read from /metrics.
    expect(report.perToken.cacheEntries).toBe(report.perToken.tokens);
    expect(report.perToken.refused).toBe(0);
    expect(Number.isFinite(report.perToken.rssPerEntryBytes)).toBe(true);
    expect(report.load.errors).toBe(0);
    expect(report.load.peakMb).toBeGreaterThanOrEqual(report.load.idleMb * 0.9);
    expect(report.load.afterRunsMb).toHaveLength(2);
    expect(out).toContain('| Idle | RSS MB | adds MB |');
    expect(out).not.toContain('FAILED');
    // The bounds the full run enforces are the ones docs/performance.md states.
    const doc = readFileSync(join(REPO, 'docs/performance.md'), 'utf8');
    expect(doc).toContain(`bare Node + ${MEMORY_BOUNDS.idleOverBareMb} MB`);
    expect(doc).toContain(`| ${MEMORY_BOUNDS.loadOverIdle} x idle |`);
  }, 300_000);
});
