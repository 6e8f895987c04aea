// npm run soak -- [--phase-seconds=15] [--concurrency=32] [--max-requests=2000000] [--json]
import { parseArgs } from 'node:util';
import { formatReport, runSoak } from './soak.js';

const { values } = parseArgs({
  options: {
    'phase-seconds': { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '32' },
    'max-requests': { type: 'string', default: '2000000' },
    json: { type: 'boolean', default: false },
  },
});
const bounded = (name: string, value: string, min: number, max: number) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return number;
};

const report = await runSoak({
  phaseSeconds: bounded('phase-seconds', values['phase-seconds'], 1, 600),
  concurrency: bounded('concurrency', values.concurrency, 1, 1024),
  maxRequests: bounded('max-requests', values['max-requests'], 1, 100_000_000),
  log: (line) => process.stderr.write(`soak: ${line}\n`),
});
process.stdout.write(`${values.json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
const failed = report.wrongAllows > 0 || report.crashes.length > 0 || report.gateExitCode !== 0;
process.exit(failed ? 1 : 0);
