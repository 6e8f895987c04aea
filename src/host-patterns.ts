import { isIPv6 } from 'node:net';
import { z } from 'zod';

// RFC 1123 labels (1-63 letters, digits, inner hyphens), 253 characters at most in all.
const HOST_NAME = /^(?=[a-z0-9.-]{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// WHATWG parsers read a name whose last label is a number as an IPv4 address (`0x7f.1` and
// `2130706433` are 127.0.0.1): only the dotted-quad spelling may be one.
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)$/;
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
  if (!HOST_NAME.test(bare)) return undefined;
  return NUMERIC_LAST_LABEL.test(bare) && !DOTTED_QUAD.test(bare) ? undefined : bare;
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
