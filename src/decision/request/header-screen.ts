import type { HeaderReader } from './header-reader.js';
import { createSpellingTest } from './header-spelling.js';
import { IDENTITY_HEADER_NAMES } from '../identity/identity.js';
import { Denial } from '../outcome.js';
import { METHOD_OVERRIDE_HEADERS } from './method-override.js';
import { ROUTING_HEADERS } from './routing-headers.js';

export interface HeaderScreenOptions {
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

const overrideSpelling = createSpellingTest(METHOD_OVERRIDE_HEADERS);
const sensitiveSpelling = createSpellingTest([...METHOD_OVERRIDE_HEADERS, ...ROUTING_HEADERS]);
// Letters, digits and `-` only: a name that is its own spelling, never another's alias.
const PLAIN_NAME = /^[A-Za-z0-9-]+$/;
// Every name screened starts with x (X-Authgear-*, X-HTTP-Method-Override, X-Forwarded-*, ...)
// or f (Forwarded): the others (Host, Authorization, Cookie, ...) cost one comparison.
const mayBeScreened = (name: string) => {
  const first = name.charCodeAt(0) | 0x20;
  return first === 0x78 || first === 0x66;
};

/** Whether the client's headers carry a method override (its methods are judged too). */
export type HeaderScreen = (header: Pick<HeaderReader, 'findName'>) => { methodOverride: boolean };
const WITH_OVERRIDE = Object.freeze({ methodOverride: true });
const WITHOUT_OVERRIDE = Object.freeze({ methodOverride: false });

/**
 * Screens the names of the client's headers, in one pass, for what the app would read as
 * something only the sidecar decides. CGI, WSGI, PHP and Rack read every character other than
 * letters and digits as `_` and ignore case, so `X_Authgear_User_Id` is the app's
 * X-Authgear-User-Id while no gateway rule names it (nginx drops such names itself; Caddy,
 * Traefik and Envoy pass them on, and to us). Refused (request_malformed):
 * - a header only the sidecar may give the app, in any spelling, and any other
 *   `x-authgear-*` (a CLAIM_HEADERS header: nginx can only replace headers it names). The
 *   built-in identity headers spelt exactly are left to the gateway, which replaces them;
 * - a method override or routing header in another spelling than its own (the gateways
 *   remove or set the real spelling; docs/security.md).
 */
export function createHeaderScreen(options: HeaderScreenOptions): HeaderScreen {
  // Also let through, spelt exactly: the client's ID token, for the sidecar; and the signature
  // of Authgear's own webhook calls to the app, which only the webhook secret can produce.
  const replacedByGateway = new Set([...IDENTITY_HEADER_NAMES, options.idTokenHeader.toLowerCase(), AUTHGEAR_WEBHOOK_SIGNATURE]);
  const forged = (name: string) => readAsAuthgearHeader(name) && !replacedByGateway.has(name.toLowerCase());
  return function screenHeaders(header) {
    let methodOverride = false;
    const refused = header.findName((name) => {
      if (!mayBeScreened(name)) return false;
      if (forged(name)) return true;
      if (!PLAIN_NAME.test(name)) return sensitiveSpelling(name) !== undefined;
      if (overrideSpelling(name) !== undefined) methodOverride = true;
      return false;
    });
    if (refused === undefined) return methodOverride ? WITH_OVERRIDE : WITHOUT_OVERRIDE;
    const alias = forged(refused) ? undefined : sensitiveSpelling(refused)?.canonical;
    throw new Denial('request_malformed', alias ? `the client sent ${refused}, which apps read as ${alias} but no gateway rule names` : `the client sent ${refused}, a header only the sidecar may set`);
  };
}
