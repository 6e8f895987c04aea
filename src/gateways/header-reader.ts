import type { IncomingMessage } from 'node:http';

export interface HeaderReader {
  (name: string): string | undefined;
  /** The first header name the client sent (as sent) that passes the test: for checks no fixed name can do. */
  findName?: (test: (name: string) => boolean) => string | undefined;
}

// Node keeps only the first copy of these when a request repeats them; every other header's
// copies it joins, as the Fetch API does. Joining these too means a repeated Authorization
// reaches the credential parser whole (and is refused as malformed), never half-read.
const NODE_KEEPS_FIRST = new Set(['authorization', 'host']);

function joinedCopies(rawHeaders: readonly string[], name: string, first: string): string {
  let joined: string | undefined;
  for (let at = 0; at < rawHeaders.length; at += 2) {
    const rawName = rawHeaders[at]!;
    if (rawName.length !== name.length || rawName.toLowerCase() !== name) continue;
    joined = joined === undefined ? rawHeaders[at + 1]! : `${joined}, ${rawHeaders[at + 1]}`;
  }
  return joined ?? first;
}

/**
 * Reads the headers Node has already parsed (lower-case names), building no Fetch Headers.
 * `host` overrides the Host header: an absolute-form request target names the host itself.
 */
export function nodeHeaderReader({ headers, rawHeaders }: Pick<IncomingMessage, 'headers' | 'rawHeaders'>, host?: string): HeaderReader {
  const reader: HeaderReader = (name) => {
    if (host !== undefined && name === 'host') return host;
    const value = headers[name];
    if (typeof value !== 'string') return undefined;
    return NODE_KEEPS_FIRST.has(name) ? joinedCopies(rawHeaders, name, value) : value;
  };
  reader.findName = (test) => {
    for (let at = 0; at < rawHeaders.length; at += 2) if (test(rawHeaders[at]!)) return rawHeaders[at];
    return undefined;
  };
  return reader;
}
