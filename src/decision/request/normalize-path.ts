import { isUtf8 } from 'node:buffer';
import { Denial } from '../outcome.js';

/**
 * The path of the original request, checked to be spelt the one way every common router
 * reads alike, and percent-decoded (each decoded byte one character, like nginx's raw bytes).
 *
 * Routers disagree on everything else: nginx and Caddy resolve dot segments and merge slashes
 * before matching locations while Express routes the raw text; Tomcat, Jetty and Spring drop
 * `;params` from each segment; WHATWG parsers read `\` as `/` and `//x` as a host; some
 * decode `%2f`, `%2e` or `%61` before routing and some after; Python and Java decoders take
 * overlong UTF-8 for ASCII; NFKC or case folding turns `／` or `K` into ASCII. Whichever way a
 * gateway matched such a path, some backend routes it elsewhere, so a rule (or a gateway
 * location) judged on one reading can be sidestepped by another. Those spellings are refused
 * instead (Spring Security's StrictHttpFirewall refuses the same), and browsers never send them.
 */
export function normalizePath(rawPath: string): string {
  if (PLAIN.test(rawPath)) return rawPath;
  if (/[\\;#]/.test(rawPath)) refuse('has a backslash, a semicolon (path parameter) or a fragment');
  if (/\/\/|\/\.\.?(?:\/|$)/.test(rawPath)) refuse('has an empty or dot segment');
  const decoded = rawPath.includes('%') ? decodeEscapes(rawPath) : rawPath;
  if (/[\x00-\x1f\x7f]/.test(decoded)) refuse('has a control character');
  // Spring's old trimTokens (CVE-2016-5007) and URL re-parsers drop it: /admin%20 is /admin.
  if (/ \/| $|\/ /.test(decoded)) refuse('has a segment starting or ending with a space');
  if (/[^\x00-\x7f]/.test(decoded)) checkUnicode(decoded);
  return decoded;
}

// Printable ASCII segments (no `%`, `;`, `\`, `#`), none empty, `.` or `..`: the common case,
// one test and no allocation.
const PLAIN = /^(?:\/(?!\.\.?(?:\/|$))[!$&'()*+,\-.0-9:=@A-Z\[\]^_`a-z{|}~"<>]+)*\/?$/;

function refuse(why: string): never {
  throw new Denial('request_malformed', `the path ${why}; routers disagree on what it means`);
}

// Escapes a decoder may turn into path structure or into another spelling of the same text:
// unreserved characters (RFC 3986 says they must not be encoded), `/`, `\`, `;`, `?` and `#`
// (which end the path for a router that parses the decoded text again: /assets/..%23/admin
// is /assets/.. to it), and `%` itself when it would make a second escape (%252e is %2e to a
// router that decodes twice).
const NOT_TO_BE_ESCAPED = /^(?:[46][1-9a-f]|[57][0-9a]|3[0-9]|2[def]|5[cf]|7e|3[bf]|23)$/i;

function decodeEscapes(path: string): string {
  return path.replace(/%(.{0,2})/gs, (_escape, hex: string, at: number) => {
    if (!/^[0-9a-f]{2}$/i.test(hex)) refuse('has a malformed percent-escape');
    if (NOT_TO_BE_ESCAPED.test(hex)) refuse(`escapes "${String.fromCharCode(parseInt(hex, 16))}", which must be written as itself`);
    if (hex === '25' && /^[0-9a-f]{2}/i.test(path.slice(at + 3))) refuse('is percent-encoded twice');
    return String.fromCharCode(parseInt(hex, 16));
  });
}

// A case mapping to one ASCII letter, maybe with combining marks (İ -> i̇, K -> k, ſ -> S), as
// Java's equalsIgnoreCase or a /iu regex compares; ß -> SS is no single letter.
const FOLDS_TO_ASCII = /^[\x00-\x7f]\p{M}*$/u;

/**
 * Non-ASCII bytes must be UTF-8 (no overlong form of `.` or `/`, no surrogate), and no
 * character may be one a normalizing or case-folding router turns into ASCII, nor an
 * invisible one (controls, format characters, separators).
 */
function checkUnicode(bytes: string): void {
  const buffer = Buffer.from(bytes, 'latin1');
  if (!isUtf8(buffer)) refuse('is not valid UTF-8');
  for (const char of buffer.toString('utf8')) {
    if (char.charCodeAt(0) < 0x80) continue;
    if (/[\p{C}\p{Z}]/u.test(char)) refuse('has an invisible or control character');
    if (/[\x00-\x7f]/.test(char.normalize('NFKC')) || FOLDS_TO_ASCII.test(char.toLowerCase()) || FOLDS_TO_ASCII.test(char.toUpperCase())) {
      refuse(`has "${char}", which a router may read as ASCII`);
    }
  }
}
