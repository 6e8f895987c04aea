import { Denial } from '../../outcome.js';
import { hostnameOf, type OriginalRequest } from '../../request/original-request.js';
import type { ReturnUrlPolicy } from './return-url.js';

export interface LoginRedirectOptions {
  clientId: string;
  /** The redirect_uri registered in Authgear for that client; the gateway routes it through /auth. */
  redirectUri: string;
  /** Authgear's authorize endpoint, from discovery once it is loaded. */
  authorizeEndpoint: () => string;
  returnUrls: ReturnUrlPolicy;
}

export interface LoginRedirect {
  /** Authgear's login page, coming back to this request afterwards; undefined if it may not come back. */
  loginUrl(request: OriginalRequest, maxAge: number | undefined): string | undefined;
  /**
   * For the browser arriving at the redirect_uri after login: the URL carried in state.
   * undefined for any other request; a Denial when the callback is not acceptable.
   */
  callbackTarget(request: OriginalRequest): string | undefined;
}

// Cookie-based login: Authgear sets its session cookie and the resolver reads it afterwards.
const SCOPE = 'openid https://authgear.com/scopes/full-access';

export function createLoginRedirect(options: LoginRedirectOptions): LoginRedirect {
  const callback = new URL(options.redirectUri);
  const callbackHost = callback.hostname;
  const callbackPath = callback.pathname;

  return {
    loginUrl(request, maxAge) {
      const returnUrl = options.returnUrls.forRequest(request);
      if (returnUrl === undefined) return undefined;
      const url = new URL(options.authorizeEndpoint());
      url.searchParams.set('client_id', options.clientId);
      url.searchParams.set('redirect_uri', options.redirectUri);
      url.searchParams.set('response_type', 'none');
      url.searchParams.set('scope', SCOPE);
      // state carries the return URL; it is checked against the allow-list again on the way back.
      url.searchParams.set('state', returnUrl);
      if (maxAge !== undefined) url.searchParams.set('max_age', String(maxAge));
      return url.href;
    },

    callbackTarget(request) {
      if (request.path !== callbackPath || hostnameOf(request.host) !== callbackHost) return undefined;
      if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
      const query = new URLSearchParams(request.uri.slice(request.path.length + 1));
      // An error (the user cancelled, ...) must not bounce the browser straight back to login.
      if (query.has('error')) throw new Denial('login_failed', 'Authgear reported a login error');
      const target = options.returnUrls.check(query.get('state') ?? '');
      if (target === undefined) throw new Denial('request_malformed', 'login callback state is not an allowed return URL');
      return target;
    },
  };
}
