import { describe, expect, it } from 'vitest';
import { createAssertionCache, type MintHeaders } from '../../src/assertion/assertion-cache.js';
import { assertionClaims } from '../../src/assertion/assertion-claims.js';
import type { Authentication } from '../../src/decision/authentication/authenticator.js';
import { identityHeaders, type Identity } from '../../src/decision/identity/identity.js';

const USER: Identity = { kind: 'user', userId: 'u-1', anonymous: false, verified: true, canReauthenticate: true, roles: ['admin'], amr: ['pwd'], authenticatedAt: 1_700_000_000, extraHeaders: [['x-authgear-tenant', 'acme']] };
const CLIENT: Identity = { kind: 'client', userId: 'client_id_batch', anonymous: false, verified: false, canReauthenticate: false, roles: [], amr: [], authenticatedAt: undefined, extraHeaders: [] };
const authentication = (identity: Identity, grant?: Authentication['grant']): Authentication => ({ identity, grant, claims: undefined, headers: identityHeaders(identity, grant), via: 'jwt', cache: 'none' });

/** A mint that counts its calls and renews 10 s after it signed. */
function countingMint() {
  let signed = 0;
  const mint: MintHeaders = async (auth, audience, rule, nowMs) => {
    signed++;
    return { headers: [...auth.headers, ['x-authgear-gate-assertion', `${signed} ${audience} ${rule ?? '-'}`]], renewAt: nowMs + 10_000 };
  };
  return { mint, signed: () => signed };
}

describe('the assertion cache', () => {
  it('signs once per identity, audience and rule, and answers again synchronously with the same array', async () => {
    let now = 0;
    const { mint, signed } = countingMint();
    const headersFor = createAssertionCache({ maxEntries: 10, now: () => now, mint });
    const alice = authentication(USER);
    const first = await headersFor(alice, 'app.example.test', 'default');
    expect(first.at(-1)).toEqual(['x-authgear-gate-assertion', '1 app.example.test default']);
    expect(headersFor(alice, 'app.example.test', 'default')).toBe(first);
    // Another host, rule or identity object (another token of the same user) is another assertion.
    await headersFor(alice, 'other.example.test', 'default');
    await headersFor(alice, 'app.example.test', 'admin');
    await headersFor(alice, 'app.example.test', undefined);
    await headersFor(authentication({ ...USER }), 'app.example.test', 'default');
    expect(signed()).toBe(5);
    now = 9_999;
    expect(headersFor(alice, 'app.example.test', 'default')).toBe(first);
    now = 10_000;
    const renewed = headersFor(alice, 'app.example.test', 'default');
    expect(renewed).toBeInstanceOf(Promise);
    expect((await renewed).at(-1)![1]).toBe('6 app.example.test default');
  });

  it('shares one signature between concurrent first requests, and forgets a failed one', async () => {
    const { mint, signed } = countingMint();
    let fail = true;
    const headersFor = createAssertionCache({ maxEntries: 10, now: () => 0, mint: (...args) => (fail ? Promise.reject(new Error('no')) : mint(...args)) });
    const alice = authentication(USER);
    await expect(Promise.all([headersFor(alice, 'a', undefined), headersFor(alice, 'a', undefined)])).rejects.toThrow('no');
    fail = false;
    const [one, two] = await Promise.all([headersFor(alice, 'a', undefined), headersFor(alice, 'a', undefined)]);
    expect(one).toBe(two);
    expect(signed()).toBe(1);
  });

  it('keeps at most maxEntries, least recently used out first; 0 signs every time', async () => {
    const { mint, signed } = countingMint();
    const headersFor = createAssertionCache({ maxEntries: 2, now: () => 0, mint });
    const [a, b, c] = [authentication(USER), authentication({ ...USER }), authentication({ ...USER })];
    await headersFor(a, 'h', undefined);
    await headersFor(b, 'h', undefined);
    expect(headersFor(a, 'h', undefined)).not.toBeInstanceOf(Promise);
    await headersFor(c, 'h', undefined);
    expect(headersFor(a, 'h', undefined)).not.toBeInstanceOf(Promise);
    expect(headersFor(b, 'h', undefined)).toBeInstanceOf(Promise);
    const uncached = countingMint();
    const everyTime = createAssertionCache({ maxEntries: 0, now: () => 0, mint: uncached.mint });
    await everyTime(a, 'h', undefined);
    await everyTime(a, 'h', undefined);
    expect([signed(), uncached.signed()]).toEqual([4, 2]);
  });
});

describe('the claims of an assertion', () => {
  it('say what the identity headers say of a user, under the names apps read', () => {
    const grant = { audiences: ['https://myapp.authgear.cloud'], scopes: ['openid', 'offline_access'], clientId: 'web' };
    expect(assertionClaims(authentication(USER, grant), 'admin pages')).toEqual({
      sub: 'u-1', principal: 'user', anonymous: false, verified: true, can_reauthenticate: true, amr: ['pwd'], roles: ['admin'], auth_time: 1_700_000_000,
      client_id: 'web', scope: 'openid offline_access', rule: 'admin pages',
    });
  });

  it('leave out what the headers leave out: no roles, no login time, no grant, no rule, and a client\'s user claims', () => {
    expect(assertionClaims(authentication({ ...USER, roles: [], authenticatedAt: undefined }), undefined)).toEqual({
      sub: 'u-1', principal: 'user', anonymous: false, verified: true, can_reauthenticate: true, amr: ['pwd'],
    });
    expect(assertionClaims(authentication(CLIENT, { audiences: [], scopes: ['read:orders'], clientId: 'batch' }), 'api')).toEqual({
      sub: 'client_id_batch', principal: 'client', client_id: 'batch', scope: 'read:orders', rule: 'api',
    });
  });
});
