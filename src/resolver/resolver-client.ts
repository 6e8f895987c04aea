import type { IncomingHttpHeaders } from 'node:http';
import type { Credentials } from '../decision/credentials/credentials.js';
import { UpstreamError } from '../errors.js';
import type { ResolverAnswer } from '../decision/authentication/session-resolver.js';
import { HEADER } from '../decision/identity/identity.js';
import type { UpstreamClient } from '../upstream/http-client.js';
import { identityFromResolverHeaders, ResolverAnswerError } from './resolver-headers.js';

export const RESOLVE_PATH = '/_resolver/resolve';

export interface ResolverClient {
  /** Asks Authgear about these credentials; rejects with an UpstreamError when it cannot tell. */
  resolve(credentials: Credentials): Promise<ResolverAnswer>;
}

export interface ResolverClientOptions {
  /** Keep-alive client whose requests carry Host of the public origin. */
  client: UpstreamClient;
  /** The Authgear cookie names (with prefix): the only Set-Cookie lines passed back. */
  cookieNames: readonly string[];
  /** A role outside Authgear's grammar in an answer, ignored. */
  onRoleRefused?: (role: string) => void;
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

const cookieName = (setCookie: string) => setCookie.slice(0, setCookie.indexOf('=')).trim();

/**
 * Authgear's /_resolver/resolve: always 200 with an empty body, the verdict in headers.
 * `Session-Valid: true` is a user; `false` is a dead session (maybe with a clearing
 * Set-Cookie); no x-authgear headers at all means none of the credentials was accepted.
 */
export function createResolverClient(options: ResolverClientOptions): ResolverClient {
  const clearable = new Set(options.cookieNames);

  function answerFrom(headers: IncomingHttpHeaders): ResolverAnswer {
    const valid = single(headers[HEADER.sessionValid]);
    if (valid === 'true') return { valid: true, identity: identityFromResolverHeaders((name) => single(headers[name]), options.onRoleRefused) };
    if (valid !== 'false' && valid !== undefined) throw new ResolverAnswerError(`${HEADER.sessionValid} is "${valid}"`);
    return { valid: false, setCookies: (headers['set-cookie'] ?? []).filter((line) => clearable.has(cookieName(line))) };
  }

  return {
    async resolve(credentials) {
      // Only what Authgear needs: the app's own cookies never leave the gateway.
      const headers: Record<string, string> = {};
      if (credentials.bearer !== undefined) headers.authorization = `Bearer ${credentials.bearer}`;
      if (credentials.cookies.length > 0) headers.cookie = credentials.cookies.map(({ name, value }) => `${name}=${value}`).join('; ');
      const response = await options.client.request('resolver', { path: RESOLVE_PATH, headers });
      if (response.status !== 200) throw new UpstreamError('resolver', `resolver answered ${response.status}`);
      try {
        return answerFrom(response.headers);
      } catch (error) {
        throw new UpstreamError('resolver', 'resolver answer is not valid', { cause: error });
      }
    },
  };
}
