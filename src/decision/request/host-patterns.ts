import { z } from 'zod';

/** `app.example.com`, or `*.example.com` for any name under example.com (not example.com itself). */
export const hostPattern = z
  .string()
  .toLowerCase()
  .regex(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/, 'a host is a name like app.example.com or *.example.com, without port');

/** Compiles host patterns once into a test of a lower-case hostname (port already removed). */
export function createHostTest(patterns: readonly string[]): (hostname: string) => boolean {
  const exact = new Set(patterns.filter((pattern) => !pattern.startsWith('*.')));
  const suffixes = patterns.filter((pattern) => pattern.startsWith('*.')).map((pattern) => pattern.slice(1));
  return (hostname) => exact.has(hostname) || suffixes.some((suffix) => hostname.endsWith(suffix));
}
