import type { HeaderReader } from './header-reader.js';
import { IDENTITY_HEADER_NAMES } from '../identity/identity.js';
import { Denial } from '../outcome.js';
import { overrideHeaderSpelling } from './method-override.js';

export interface ForgedHeaderOptions {
  /** The request header carrying an ID token: the client's to send (ID_TOKEN_HEADER). */
  idTokenHeader: string;
}

const AUTHGEAR = 'authgear';
/** Sent by Authgear with every webhook (an HMAC of the body); the app checks it. */
export const AUTHGEAR_WEBHOOK_SIGNATURE = 'x-authgear-body-signature';
const isLetterOrDigit = (code: number) => (code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a);

/** `x-authgear-` as CGI, WSGI, PHP and Rack read it: any case, any non-alphanumeric separators. */
function readAsAuthgearHeader(name: string): boolean {
  if (name.length < 11 || (name.charCodeAt(0) | 0x20) !== 0x78 || isLetterOrDigit(name.charCodeAt(1))) return false;
  for (let at = 0; at < AUTHGEAR.length; at++) if ((name.charCodeAt(2 + at) | 0x20) !== AUTHGEAR.charCodeAt(at)) return false;
  return !isLetterOrDigit(name.charCodeAt(10));
}

/**
 * Screens the names of the client's headers, in one pass, for what the app would read as
 * something only the sidecar decides:
 * - a header only the sidecar may give the app, in any spelling the app could read as one.
 *   CGI, WSGI, PHP and Rack read every character other than letters and digits as `_`, so
 *   `X_Authgear_User_Id` or `X.Authgear.User.Id` is the app's X-Authgear-User-Id too, while no
 *   gateway strips it (nginx drops such names itself; Caddy, Traefik and Envoy pass them on,
 *   and to us). A custom claim header (CLAIM_HEADERS) sent by the client is refused as well:
 *   nginx can only replace headers it names, and the shipped nginx config cannot name the
 *   operator's. The built-in identity headers, spelt exactly, are left to the gateway, which
 *   replaces them with ours on every shipped route.
 * - a method override header in such another spelling (`X_HTTP_Method_Override`): the app
 *   reads it as the override, and which copy wins is the app's secret.
 * Returns whether an override header spelt exactly was sent (its methods are judged too).
 */
export function createHeaderScreen(options: ForgedHeaderOptions): (header: Pick<HeaderReader, 'findName'>) => boolean {
  // Also let through, spelt exactly: the client's ID token, for the sidecar; and the signature
  // of Authgear's own webhook calls to the app, which only the webhook secret can produce.
  const replacedByGateway = new Set([...IDENTITY_HEADER_NAMES, options.idTokenHeader.toLowerCase(), AUTHGEAR_WEBHOOK_SIGNATURE]);
  const forged = (name: string) => readAsAuthgearHeader(name) && !replacedByGateway.has(name.toLowerCase());
  return function screenHeaders(header) {
    let methodOverride = false;
    const name = header.findName((candidate) => {
      if (forged(candidate)) return true;
      const override = overrideHeaderSpelling(candidate);
      if (override === 'exact') methodOverride = true;
      return override === 'alias';
    });
    if (name === undefined) return methodOverride;
    if (overrideHeaderSpelling(name) === 'alias') throw new Denial('request_malformed', `the client sent ${name}, which apps read as a method override header but no gateway checks`);
    throw new Denial('request_malformed', `the client sent ${name}, a header only the sidecar may set`);
  };
}
