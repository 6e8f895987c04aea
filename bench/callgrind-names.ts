// Names the JavaScript in callgrind dumps. callgrind sees V8's generated code as bare
// addresses (0x00000000180c7580); node --perf-basic-prof writes /tmp/perf-PID.map, which
// says which JS function each address range holds. This rewrites a dump's names from it, so
// callgrind_annotate (--inclusive=yes) shows "JS:*decideAuth file:///.../auth-decision.js:71".
//   node .tmp/bench-build/bench/callgrind-names.js DUMP... (writes DUMP.named beside each)
import { readFileSync, writeFileSync } from 'node:fs';

interface CodeRange {
  start: bigint;
  end: bigint;
  name: string;
}

/** perf map lines are "START SIZE NAME" in hex; a later line for the same start wins. */
export function readPerfMap(text: string): CodeRange[] {
  const byStart = new Map<bigint, CodeRange>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (!match) continue;
    const start = BigInt(`0x${match[1]}`);
    byStart.set(start, { start, end: start + BigInt(`0x${match[2]}`), name: match[3]! });
  }
  return [...byStart.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

function lookUp(ranges: readonly CodeRange[], address: bigint): string | undefined {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const range = ranges[middle]!;
    if (address < range.start) high = middle - 1;
    else if (address >= range.end) low = middle + 1;
    else return range.name;
  }
  return undefined;
}

/** The dump with every address-named function that the map knows renamed (same ids, same costs). */
export function nameDump(dump: string, ranges: readonly CodeRange[]): string {
  return dump.replace(/^(c?fn=\(\d+\)) 0x([0-9a-f]+)$/gm, (line, prefix: string, hex: string) => {
    const name = lookUp(ranges, BigInt(`0x${hex}`));
    return name === undefined ? line : `${prefix} ${name.replaceAll('\n', ' ')}`;
  });
}

export function nameDumpFile(file: string): string {
  const dump = readFileSync(file, 'utf8');
  const pid = /^pid: (\d+)$/m.exec(dump)?.[1];
  if (!pid) throw new Error(`${file} names no pid`);
  const named = `${file}.named`;
  writeFileSync(named, nameDump(dump, readPerfMap(readFileSync(`/tmp/perf-${pid}.map`, 'utf8'))));
  return named;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of process.argv.slice(2)) process.stdout.write(`${nameDumpFile(file)}\n`);
}
