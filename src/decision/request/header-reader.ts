/** The value of a header by its lower-case name; copies joined as HTTP joins them (`; ` for Cookie). */
export type HeaderLookup = (name: string) => string | undefined;

/**
 * The client's headers of the request being judged, as a gateway's reader presents them.
 * Both members are required: a reader that could not list the names would let a forged
 * identity header in another spelling (`x_authgear_user_id`, which CGI, WSGI, PHP and Rack
 * read as X-Authgear-User-Id) pass unseen, so no gateway may leave that check out.
 */
export interface HeaderReader extends HeaderLookup {
  /** The first header name the client sent (as sent) that passes the test: for checks no fixed name can do. */
  findName(test: (name: string) => boolean): string | undefined;
}
