import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReturnUrlPolicy } from '../../src/decision/refusal/login/return-url.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { reasonOf } from '../support/answers.js';

const APP = 'app.example.test';
const CALLBACK = `https://${APP}/_authgear/callback`;
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

let authgear: AuthgearStandIn;
let gate: TestGate;
let withoutLogin: TestGate;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startTestGate(authgear, { CLIENT_IDS: 'web-client,other', LOGIN_REDIRECT_URI: CALLBACK, RETURN_TO_HOSTS: `${APP},*.apps.example.test` });
  withoutLogin = await startTestGate(authgear);
});
afterAll(async () => {
  await gate.close();
  await withoutLogin.close();
  await authgear.close();
});
const forwardAuth = (uri: string, headers: Record<string, string> = {}) => ({
  'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': APP, 'x-forwarded-uri': uri, accept: BROWSER, ...headers,
});
const nginx = (uri: string, headers: Record<string, string> = {}) => ({ 'x-original-uri': uri, 'x-original-host': APP, 'x-forwarded-proto': 'https', accept: BROWSER, ...headers });
// Straight to the app: TestGate.auth would add nginx's X-Original-URI to ForwardAuth requests.
const ask = async (headers: Record<string, string>, path = '/auth') => gate.request(path, { headers: { host: 'gate.internal', ...headers } });

/** Where a Location sends the browser, in the end: the state of an authorize URL, or the URL itself. */
function finalDestination(location: string): URL {
  const url = new URL(location);
  if (url.origin === authgear.origin && url.pathname === '/oauth2/authorize') return new URL(url.searchParams.get('state')!);
  return url;
}
const allowed = (location: string | null) => {
  if (location === null) return true;
  const destination = finalDestination(location);
  const web = destination.protocol === 'https:' || destination.protocol === 'http:';
  return web && !destination.username && !destination.password && (destination.hostname === APP || destination.hostname.endsWith('.apps.example.test'));
};

describe('browsers are sent to Authgear to log in', () => {
  it('ForwardAuth gets a 302 to the authorize endpoint, carrying the original URL in state', async () => {
    const response = await ask(forwardAuth('/orders?page=2'));
    expect(response.status).toBe(302);
    expect(response.headers.get('content-length')).toBe('0');
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(`${authgear.origin}/oauth2/authorize`);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: 'web-client',
      redirect_uri: CALLBACK,
      response_type: 'none',
      scope: 'openid https://authgear.com/scopes/full-access',
      state: `https://${APP}/orders?page=2`,
    });
  });

  it('nginx gets a 401 with the Location (its error_page turns it into the redirect) and the challenge', async () => {
    const response = await ask(nginx('/orders'));
    expect(response.status).toBe(401);
    expect(new URL(response.headers.get('location')!).searchParams.get('state')).toBe(`https://${APP}/orders`);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="authgear-gate"');
  });

  it('asks Authgear for a fresh login (max_age) when the login is too old', async () => {
    const old = await authgear.accessToken({ claims: { auth_time: Math.floor(Date.now() / 1000) - 3600 } });
    const response = await ask({ ...forwardAuth('/account/delete'), ...bearer(old) }, '/auth?max_age=300');
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location')!).searchParams.get('max_age')).toBe('300');
  });

  it('keeps 401s for API clients and 403s for everyone, and does nothing without LOGIN_REDIRECT_URI', async () => {
    for (const accept of ['application/json', '*/*', 'application/json, text/html']) {
      const response = await ask(forwardAuth('/orders', { accept }));
      expect([response.status, response.headers.has('location')], accept).toEqual([401, false]);
    }
    const editor = await authgear.accessToken({ claims: { [CLAIMS.roles]: ['editor'] } });
    const forbidden = await ask({ ...forwardAuth('/admin/'), ...bearer(editor) }, '/auth?roles=admin');
    expect([forbidden.status, forbidden.headers.has('location')]).toEqual([403, false]);
    const malformed = await ask({ ...forwardAuth('/orders'), authorization: 'Bearer a b' });
    expect([malformed.status, reasonOf(malformed), malformed.headers.has('location')]).toEqual([401, 'credentials_malformed', false]);
    const unconfigured = await withoutLogin.request('/auth', { headers: forwardAuth('/orders') });
    expect([unconfigured.status, unconfigured.headers.has('location')]).toEqual([401, false]);
  });

  it('never offers to come back to a host off the allow-list', async () => {
    const response = await ask(forwardAuth('/orders', { 'x-forwarded-host': 'evil.test' }));
    expect([response.status, response.headers.has('location')]).toEqual([401, false]);
  });
});

describe('the authorize endpoint', () => {
  it('comes from discovery, but only ever on the Authgear origin', async () => {
    const other = await startAuthgearStandIn();
    for (const [discovered, expected] of [[`${other.origin}/custom/authorize`, `${other.origin}/custom/authorize`], ['https://evil.test/authorize', `${other.origin}/oauth2/authorize`]]) {
      other.discoveryOverrides = { authorization_endpoint: discovered };
      const login = await startTestGate(other, { CLIENT_IDS: 'web', LOGIN_REDIRECT_URI: CALLBACK });
      const response = await login.request('/auth', { headers: { host: 'gate.internal', ...forwardAuth('/x') } });
      const location = new URL(response.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(expected);
      await login.close();
    }
    await other.close();
  });
});

describe('the callback (LOGIN_REDIRECT_URI, routed through /auth by the gateway)', () => {
  const callback = (query: string, headers: (uri: string) => Record<string, string> = forwardAuth) => ask(headers(`/_authgear/callback?${query}`));

  it('sends the browser back to the URL in state: 302 for ForwardAuth, 401 + Location for nginx', async () => {
    const state = encodeURIComponent(`https://${APP}/orders?page=2`);
    const viaForwardAuth = await callback(`state=${state}`);
    expect([viaForwardAuth.status, viaForwardAuth.headers.get('location')]).toEqual([302, `https://${APP}/orders?page=2`]);
    const viaNginx = await callback(`state=${state}`, nginx);
    expect([viaNginx.status, viaNginx.headers.get('location')]).toEqual([401, `https://${APP}/orders?page=2`]);
    expect((await callback(`state=${encodeURIComponent('https://x.apps.example.test/')}`)).headers.get('location')).toBe('https://x.apps.example.test/');
  });

  it('refuses a missing state, and an Authgear error without bouncing back to login', async () => {
    expect(reasonOf(await callback(''))).toBe('request_malformed');
    const failed = await callback(`error=access_denied&state=${encodeURIComponent(`https://${APP}/`)}`);
    expect([failed.status, reasonOf(failed), failed.headers.has('location')]).toEqual([403, 'login_failed', false]);
  });
});

const ATTACKS = [
  '//evil.test', '///evil.test', 'https://evil.test', 'http://evil.test/', '/\\evil.test', '\\\\evil.test', '%2F%2Fevil.test', '/%5Cevil.test',
  '%2f%2fevil.test', 'https%3A%2F%2Fevil.test', `https://${APP}@evil.test`, `https://evil.test\\@${APP}`, `https://evil.test#@${APP}`,
  `https://evil.test?@${APP}`, `https://${APP}.evil.test`, `https://user:pw@${APP}/`, 'https:evil.test', 'https:/evil.test', 'https:\\\\evil.test',
  ' https://evil.test', 'https://evil.test\t', `https://ev\til.test`, `https://evil.test\r\nx: y`, `java\tscript:alert(1)`,
  `javascript:alert(1)//${APP}`, `https://evil.test%2f@${APP}`, `https://${APP}%09.evil.test`, 'ftp://evil.test', `ftp://${APP}/`, `https://${APP}/${'a'.repeat(3000)}`, `https://${APP}\u3002evil.test`,
];

describe('open-redirect attempts', () => {
  it.each(ATTACKS)('state %j never yields a Location off the allow-list', async (attack) => {
    for (const query of [`state=${encodeURIComponent(attack)}`, `state=${attack.replace(/[&#\s\u0080-\uffff]/g, encodeURIComponent)}`]) {
      const response = await ask(forwardAuth(`/_authgear/callback?${query}`));
      expect(allowed(response.headers.get('location')), `${query} -> ${response.headers.get('location')}`).toBe(true);
    }
  });

  it.each(['/@evil.test', '/x?next=//evil.test', '/%40evil.test', '/:evil.test', '/x?a=\\evil.test'])('original URI %j keeps the return URL on the host', async (uri) => {
    const response = await ask(forwardAuth(uri));
    expect(response.status).toBe(302);
    expect(finalDestination(response.headers.get('location')!).hostname).toBe(APP);
  });

  // Paths routers disagree on (src/policy/normalize-path.ts) are refused before any return
  // URL is built from them: no Location at all, which is stricter than one on the host.
  it.each(['//evil.test/x', '/\\evil.test', '/%5Cevil.test', '/%2F%2Fevil.test', '/..//evil.test'])('original URI %j is refused, with no Location', async (uri) => {
    const response = await ask(forwardAuth(uri));
    expect([response.status, reasonOf(response), response.headers.get('location')]).toEqual([401, 'request_malformed', null]);
  });

  it('comes back to the site root when the original URL is too long for a state', async () => {
    const response = await ask(forwardAuth(`/${'a'.repeat(3000)}`));
    expect(finalDestination(response.headers.get('location')!).href).toBe(`https://${APP}/`);
  });

  it('holds for any mix of dangerous pieces (property)', () => {
    const policy = createReturnUrlPolicy([APP, '*.apps.example.test']);
    const pieces = ['https:', 'http:', '//', '/', '\\', '%2F', '%5C', '@', 'evil.test', APP, '.', ':443', '#', '?', '%09', '\t', '\n', ' ', 'user:pw', '%2e', '\u3002'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (parts) => {
        const result = policy.check(parts.join(''));
        return result === undefined || allowed(result);
      }),
      { numRuns: 5000 },
    );
  });
});
