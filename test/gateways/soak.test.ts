import { describe, expect, it } from 'vitest';
import type { Credential } from '../../scripts/soak/credentials.js';
import { emptyTally, runLoad } from '../../scripts/soak/load.js';
import { runSoak } from '../../scripts/soak/soak.js';
import { startEchoUpstream } from '../support/processes.js';

// The short version of `npm run soak`: every phase for a few seconds, same invariants.
describe('fault under load (short soak through real nginx)', () => {
  it('never allows wrongly and never crashes while Authgear is slow, times out, is down and back, and Redis dies and returns', async () => {
    const report = await runSoak({ phaseSeconds: 4, concurrency: 8, maxRequests: 200_000 });
    const phase = (name: string) => report.phases.find((each) => each.name === name)!;

    expect(report.wrongAllows).toBe(0);
    expect(report.crashes).toEqual([]);
    expect(report.gateExitCode).toBe(0);
    for (const each of report.phases) {
      expect(each.sent, each.name).toBeGreaterThan(50);
      // Keys already loaded keep working through every Authgear fault.
      expect(each.knownRefused, each.name).toBe(0);
      expect(each.byClass.forged[200] ?? 0).toBe(0);
      expect(each.byClass.none[200] ?? 0).toBe(0);
    }
    // The faults were real: fresh keys could not load while Authgear was down, and could after.
    expect(phase('authgear-down').byClass.fresh[401]).toBeGreaterThan(0);
    expect(phase('authgear-back').byClass.fresh[200]).toBeGreaterThan(0);
    expect(report.metrics.jwks_fetch_failure).toBeGreaterThan(0);
    // Sessions went through the resolver and Redis; losing Redis cost fallbacks, not answers.
    expect(report.metrics.resolver_calls).toBeGreaterThan(0);
    expect(report.metrics.redis_errors).toBeGreaterThan(0);
    for (const name of ['redis-killed', 'redis-restarted']) {
      const sessions = phase(name).byClass.session;
      const total = Object.values(sessions).reduce((sum, count) => sum + count, 0);
      // A valid session is never refused; a slow fallback may fail closed, but rarely.
      expect(sessions[401] ?? 0, name).toBe(0);
      expect(sessions[200] ?? 0, name).toBeGreaterThan(total * 0.9);
    }
    expect(report.metrics.redis_ready).toBe(1);
    expect(report.metrics.decisions).toBe(report.sent);
  }, 120_000);
});

describe('the soak load generator', () => {
  it('counts every 200 to a forged or absent credential, or with the wrong identity, as a wrong allow', async () => {
    // The echo app allows everything: exactly what a broken sidecar would look like.
    const app = await startEchoUpstream();
    const tally = emptyTally();
    let left = 60;
    const credentials: Credential[] = [
      { class: 'forged', headers: { authorization: 'Bearer forged' }, sub: undefined },
      { class: 'none', headers: {}, sub: undefined },
      { class: 'session', headers: { cookie: 'app_session=x' }, sub: 'someone-else' },
    ];
    await runLoad({ url: `http://127.0.0.1:${app.port}/api/x`, concurrency: 4, pick: () => credentials[left % 3]!, current: () => (left-- > 0 ? tally : undefined) });
    await app.close();
    expect(tally.sent).toBe(60);
    expect(tally.byStatus).toEqual({ 200: 60 });
    expect(tally.wrongAllows).toBe(60);
    expect(tally.knownRefused).toBe(0);
  });
});
