import { isIPv6 } from 'node:net';
import { z } from 'zod';

const isLabelCharacter = (code: number) => (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d;

/** RFC 1123: labels of 1-63 lower-case letters, digits and inner hyphens, 253 characters in all. */
function isHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  let labelStart = 0;
  for (let at = 0; at <= name.length; at++) {
    const code = at === name.length ? 0x2e : name.charCodeAt(at);
    if (code !== 0x2e) {
      if (!isLabelCharacter(code)) return false;
      continue;
    }
    const length = at - labelStart;
    if (length === 0 || length > 63 || name.charCodeAt(labelStart) === 0x2d || name.charCodeAt(at - 1) === 0x2d) return false;
    labelStart = at + 1;
  }
  return true;
}

// WHATWG parsers read a name whose last label is a number as an IPv4 address (`0x7f.1` and
// `2130706433` are 127.0.0.1): only the dotted-quad spelling may be one.
const NUMBER = /^(?:[0-9]+|0x[0-9a-f]*)$/;
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

/**
 * A host name, IPv4 address or [IPv6] literal in the one spelling host rules and return-URL
 * checks compare: lower case, one trailing dot removed. undefined when it is not a valid host
 * name (empty labels as in `admin.example.com..`, labels over 63, more than 253 characters,
 * edge hyphens, `_` or any other character), so no odd spelling can slip past a rule.
 */
export function canonicalHostname(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.startsWith('[')) {
    const literal = lower.slice(1, -1);
    return lower.endsWith(']') && !literal.includes('%') && isIPv6(literal) ? lower : undefined;
  }
  const bare = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (!isHostName(bare)) return undefined;
  const lastLabel = bare.slice(bare.lastIndexOf('.') + 1);
  // A letter first (every top-level domain): no number, no further test.
  if (lastLabel.charCodeAt(0) > 0x39) return bare;
  return NUMBER.test(lastLabel) && !DOTTED_QUAD.test(bare) ? undefined : bare;
}

/** `app.example.com`, or `*.example.com` for any name under example.com (not example.com itself). */
export const hostPattern = z
  .string()
  .toLowerCase()
  .refine((pattern) => {
    const name = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
    return !name.startsWith('[') && canonicalHostname(name) === name;
  }, 'a host is a name like app.example.com or *.example.com, without port or trailing dot');

/** Compiles host patterns once into a test of a canonical hostname (canonicalHostname, port removed). */
export function createHostTest(patterns: readonly string[]): (hostname: string) => boolean {
  const exact = new Set(patterns.filter((pattern) => !pattern.startsWith('*.')));
  const suffixes = patterns.filter((pattern) => pattern.startsWith('*.')).map((pattern) => pattern.slice(1));
  return (hostname) => exact.has(hostname) || suffixes.some((suffix) => hostname.endsWith(suffix));
}
