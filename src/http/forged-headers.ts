import { Denial } from '../errors.js';
import { IDENTITY_HEADER_NAMES } from '../identity.js';

const PREFIX = 'x-authgear-';

export interface ForgedHeaderOptions {
  /** The request header carrying an ID token: the client's to send (ID_TOKEN_HEADER). */
  idTokenHeader: string;
}

/**
 * Refuses a request that brings its own copy of a header only the sidecar may give the app,
 * in any spelling the app could read as one. CGI, WSGI, PHP and Rack read every character
 * other than letters and digits as `_`, so `X_Authgear_User_Id` or `X.Authgear.User.Id` is
 * the app's X-Authgear-User-Id too, while no gateway strips it (nginx drops such names
 * itself; Caddy and Traefik pass them on, and to us). A custom claim header (CLAIM_HEADERS)
 * sent by the client is refused as well: nginx can only replace headers it names, and the
 * shipped nginx config cannot name the operator's. The built-in identity headers, spelt
 * exactly, are left to the gateway, which replaces them with ours on every shipped route.
 */
export function createForgedHeaderCheck(options: ForgedHeaderOptions): (names: Iterable<string>) => void {
  const replacedByGateway = new Set([...IDENTITY_HEADER_NAMES, options.idTokenHeader.toLowerCase()]);
  return function refuseForgedHeaders(names) {
    for (const name of names) {
      // Cheap first: most names are shorter or start with another letter.
      if (name.length < PREFIX.length || (name.charCodeAt(0) | 0x20) !== 0x78) continue;
      const lower = name.toLowerCase();
      if (lower.replace(/[^a-z0-9]/g, '-').startsWith(PREFIX) && !replacedByGateway.has(lower)) {
        throw new Denial('request_malformed', `the client sent ${name}, a header only the sidecar may set`);
      }
    }
  };
}
