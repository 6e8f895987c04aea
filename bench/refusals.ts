// wrk sees a 401's status, not its reason: a junk token refused for a cheaper reason than its
// signature (malformed, unknown kid) would make the junk rows a number about something else.
// The sidecar counts every decision by reason in /metrics, so every refusal of a run is checked.
import { httpGet } from '../test/support/processes.js';
import type { LoadResult } from './wrk.js';

/** The sidecar's refusals (every decision but an allow) so far, by reason. */
export async function refusalsByReason(gateUrl: string): Promise<Map<string, number>> {
  const { body } = await httpGet(`${gateUrl}/metrics`);
  const counts = new Map<string, number>();
  for (const [, labels = '', value] of body.matchAll(/^authgear_gate_decisions_total\{([^}]*)\} (\d+)$/gm)) {
    if (labels.includes('result="allow"')) continue;
    const reason = /reason="([^"]*)"/.exec(labels)?.[1] ?? '(none)';
    counts.set(reason, (counts.get(reason) ?? 0) + Number(value));
  }
  return counts;
}

/**
 * A watch (loadScenario's): after the run, every refusal the sidecar made during it was for
 * `reason`, and at least as many as wrk counted (more when requests were still in flight as
 * wrk stopped).
 */
export function refusedOnlyFor(id: string, gateUrl: string, reason: string) {
  return async () => {
    const before = await refusalsByReason(gateUrl);
    return async (result: Pick<LoadResult, 'statusErrors'>) => {
      const grown = [...(await refusalsByReason(gateUrl))].map(([key, count]) => [key, count - (before.get(key) ?? 0)] as const).filter(([, count]) => count > 0);
      const forReason = grown.find(([key]) => key === reason)?.[1] ?? 0;
      if (grown.some(([key]) => key !== reason) || forReason < result.statusErrors) {
        const counted = grown.map(([key, count]) => `${key} ${count}`).join(', ') || 'none';
        throw new Error(`${id}: wrk counted ${result.statusErrors} refusals; the sidecar's were ${counted}, all ${reason} expected`);
      }
    };
  };
}
