/** What may be logged as a request id: printable ASCII without spaces or commas, at most 128 characters. */
const REQUEST_ID = /^[\x21-\x2b\x2d-\x7e]{1,128}$/;

/**
 * The request id of an X-Request-ID header as the header readers hand it over: copies of the
 * header joined with commas (`abc, abc` from Node's rules, `abc,abc` from Envoy's). A gateway
 * may send the id twice: ingress-nginx sets its own X-Request-ID on the auth subrequest and
 * an operator's snippet or auth-proxy-set-headers often adds it again. Copies that agree give
 * that id; copies that differ give the FIRST valid one, because gateways write their own
 * proxy_set_header lines before any snippet or extra headers (ingress-nginx's template does),
 * so the first copy is the gateway's own id, the one its access log and the app see.
 * Undefined when no copy is a valid id.
 */
export function requestIdOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  // One copy, the usual case: no split.
  if (REQUEST_ID.test(header)) return header;
  for (const copy of header.split(',')) {
    const id = copy.trim();
    if (REQUEST_ID.test(id)) return id;
  }
  return undefined;
}
