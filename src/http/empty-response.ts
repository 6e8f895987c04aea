/**
 * A bodiless answer with Content-Length: 0 (without it nginx cannot reuse its connection to
 * us). Headers go in as a plain object: @hono/node-server hands that straight to Node's
 * writeHead, where a Fetch Headers object would be built, sorted and copied on every request.
 */
export function emptyResponse(status: number, headers: ReadonlyArray<readonly [string, string]>): Response {
  const record: Record<string, string> = { 'content-length': '0' };
  for (const [name, value] of headers) {
    // A repeated name (Set-Cookie) needs the general form.
    if (Object.hasOwn(record, name)) return new Response(null, { status, headers: [...headers, ['content-length', '0']] as Array<[string, string]> });
    record[name] = value;
  }
  return new Response(null, { status, headers: record });
}
