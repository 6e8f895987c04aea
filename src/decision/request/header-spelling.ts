const isAlphanumeric = (code: number) => (code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a);

/**
 * How a header name as sent reads against one of ours: CGI, WSGI, PHP and Rack turn every
 * character but letters and digits into `_` and ignore case, so `X_Forwarded_Host` and
 * `x.forwarded.host` are X-Forwarded-Host to the app. `exact`: the name itself (any case);
 * `alias`: another spelling an app reads as it, which no gateway rule names.
 */
export type Spelling = { canonical: string; exact: boolean };

/** Compared in place, without a lower-case copy: this runs for every header of every request. */
function spellingOf(name: string, canonical: string): boolean | undefined {
  let exact = true;
  for (let at = 0; at < canonical.length; at++) {
    const want = canonical.charCodeAt(at);
    const got = name.charCodeAt(at);
    if (want === 0x2d) {
      if (isAlphanumeric(got)) return undefined;
      if (got !== 0x2d) exact = false;
    } else if ((got | 0x20) !== want) return undefined;
  }
  return exact;
}

/** A test of header names against `names` (lower case, `-`-separated), grouped by length. */
export function createSpellingTest(names: readonly string[]): (name: string) => Spelling | undefined {
  const byLength = new Map<number, string[]>();
  for (const name of names) byLength.set(name.length, [...(byLength.get(name.length) ?? []), name]);
  return function spelling(name) {
    const candidates = byLength.get(name.length);
    if (candidates === undefined) return undefined;
    for (const canonical of candidates) {
      const exact = spellingOf(name, canonical);
      if (exact !== undefined) return { canonical, exact };
    }
    return undefined;
  };
}
