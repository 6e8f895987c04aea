import type { RowCost } from './cost.js';
import { COST_FLOOR, rate } from './report.js';

/** The counted rows alone (--cost-only), with every count, so their agreement shows. */
export function formatCostTable(rows: ReadonlyArray<RowCost & { id: string; row: string; name: string }>): string {
  const floor = rows.find((row) => row.id === COST_FLOOR)?.instructionsPerRequest;
  const lines = ['| Row | Scenario | instructions/req | floor ÷ row | counts (the last two agree) | + compilers/req |', '|---|---|---:|---:|---|---:|'];
  for (const row of [...rows].sort((a, b) => a.row.localeCompare(b.row, 'en', { numeric: true }))) {
    const ratio = row.id === COST_FLOOR || floor === undefined ? '' : (floor / row.instructionsPerRequest).toFixed(2);
    const counts = row.counts.map(rate).join(', ');
    lines.push(`| ${row.row} | ${row.name} | ${rate(row.instructionsPerRequest)} | ${ratio} | ${counts}${row.settled ? '' : ' (unsettled)'} | ${rate(row.compilerPerRequest)} |`);
  }
  return lines.join('\n');
}
