import type { IncomingMessage } from 'node:http';
import type { HeaderReader } from '../decision/request/header-reader.js';

export type { HeaderReader };

/**
 * Whether a header name as sent is `lowerCaseName` in any case, without building a lower-case
 * copy (that allocation was most of a lookup). Only letters differ by 0x20 between cases; the
 * other characters of our names (digits, `-`) would match only a control character that
 * way, and Node's parser refuses those in a name.
 */
function sameLowerCaseName(rawName: string, lowerCaseName: string): boolean {
  for (let at = 0; at < lowerCaseName.length; at++) {
    const code = rawName.charCodeAt(at);
    if (code !== lowerCaseName.charCodeAt(at) && (code | 0x20) !== lowerCaseName.charCodeAt(at)) return false;
  }
  return true;
}

/**
 * Reads request headers straight from Node's raw list (names as sent, values as parsed),
 * by lower-case name. Node's `headers` object is built on its first read, name by name,
 * which on the cached /auth path cost more than every header we actually read; and Node
 * keeps only the first copy of some names (Authorization, Host, User-Agent, ...), where
 * here every copy counts: a repeated header reaches its parser whole, joined as Node joins
 * the others (`, `, and `; ` for Cookie), and is refused there rather than half-read.
 * `host` overrides the Host header: an absolute-form request target names the host itself.
 */
export function nodeHeaderReader({ rawHeaders }: Pick<IncomingMessage, 'rawHeaders'>, host?: string): HeaderReader {
  const reader = (name: string): string | undefined => {
    if (host !== undefined && name === 'host') return host;
    let found: string | undefined;
    for (let at = 0; at < rawHeaders.length; at += 2) {
      const rawName = rawHeaders[at]!;
      if (rawName.length !== name.length || (rawName !== name && !sameLowerCaseName(rawName, name))) continue;
      const value = rawHeaders[at + 1]!;
      found = found === undefined ? value : `${found}${name === 'cookie' ? '; ' : ', '}${value}`;
    }
    return found;
  };
  reader.findName = (test: (name: string) => boolean): string | undefined => {
    for (let at = 0; at < rawHeaders.length; at += 2) if (test(rawHeaders[at]!)) return rawHeaders[at];
    return undefined;
  };
  return reader;
}
