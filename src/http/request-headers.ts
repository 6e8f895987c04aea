import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

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

/** Reads the headers Node has already parsed (lower-case names), building no Fetch Headers. */
export function nodeHeaderReader({ headers, rawHeaders }: Pick<IncomingMessage, 'headers' | 'rawHeaders'>): HeaderReader {
  const reader: HeaderReader = (name) => {
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

/** Reads request headers: Node's own when served by @hono/node-server, else (app.request()) Hono's. */
export function requestHeaders(c: Context): HeaderReader {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (incoming) return nodeHeaderReader(incoming);
  const reader: HeaderReader = (name) => c.req.header(name);
  reader.findName = (test) => [...c.req.raw.headers.keys()].find(test);
  return reader;
}
