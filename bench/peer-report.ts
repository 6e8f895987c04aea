import { OUR_PEER_COMPARISONS } from './peer-scenarios.js';
import type { RowSummary } from './report.js';

const rate = (value: number) => Math.round(value).toLocaleString('en-US');
const cpu = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(1));
const ratio = (ours: number | undefined, theirs: number | undefined) => (ours === undefined || theirs === undefined ? '–' : (ours / theirs).toFixed(2));

/**
 * Our rows behind nginx beside the peer rows doing the same work, both ways of looking: the
 * rate (noisy on a shared machine) and the CPU each side spent per request (steadier). Only
 * stacks that verify were measured, so only they appear.
 */
export function formatPeerTable(rows: readonly RowSummary[]): string {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const lines = [
    '| Ours | Peer | req/s ours | req/s peer | req/s ours ÷ peer | server CPU µs/req ours | peer | CPU ours ÷ peer |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [ourId, comparisons] of Object.entries(OUR_PEER_COMPARISONS)) {
    const ours = byId.get(ourId);
    if (!ours) continue;
    for (const { against } of comparisons) {
      const peer = byId.get(against);
      if (!peer) continue;
      lines.push(
        `| ${ours.row}: ${ours.name} | ${peer.row}: ${peer.name} | ${rate(ours.requestsPerSecond)} | ${rate(peer.requestsPerSecond)} | ` +
          `${ratio(ours.requestsPerSecond, peer.requestsPerSecond)} | ${cpu(ours.serverCpuUs)} | ${cpu(peer.serverCpuUs)} | ${ratio(ours.serverCpuUs, peer.serverCpuUs)} |`,
      );
    }
  }
  return lines.length > 2 ? lines.join('\n') : '';
}
