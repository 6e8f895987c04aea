/** The parts of an HTTP request target the sidecar routes on. */
export interface RequestTarget {
  path: string;
  /** Path and query as sent (from the `/` on), the scheme and authority of an absolute form removed. */
  pathAndQuery: string;
  /** After the `?`, without it; '' when there is none. */
  query: string;
  /** The authority of an absolute-form target, which takes the place of Host (RFC 9112 3.2.2). */
  authority: string | undefined;
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)/i;

/**
 * Splits origin-form (`/auth?x`) and absolute-form (`http://gate/auth?x`, what a client
 * talking to a proxy sends) targets alike, with one scan and no URL object: this runs
 * for every request on the hot path.
 */
export function parseRequestTarget(target: string): RequestTarget {
  let rest = target;
  let authority: string | undefined;
  if (target.charCodeAt(0) !== 47 /* / */) {
    const absolute = ABSOLUTE_FORM.exec(target);
    if (absolute) {
      authority = absolute[1]!;
      rest = target.slice(absolute[0].length) || '/';
    }
  }
  const queryAt = rest.indexOf('?');
  return queryAt === -1
    ? { path: rest, pathAndQuery: rest, query: '', authority }
    : { path: rest.slice(0, queryAt), pathAndQuery: rest, query: rest.slice(queryAt + 1), authority };
}
