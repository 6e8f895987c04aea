import { Writable } from 'node:stream';

/** A pino destination that keeps every line: as written (`text`) and parsed (`lines()`). */
export function captureLogs() {
  const text: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, text, lines: () => text.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
