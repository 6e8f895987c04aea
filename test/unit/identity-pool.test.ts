import { describe, expect, it } from 'vitest';
import { createGrowingLru } from '../../src/cache/growing-lru.js';
import type { AccessGrant } from '../../src/decision/identity/access-grant.js';
import { createIdentityPool } from '../../src/decision/identity/identity-pool.js';
import type { Identity } from '../../src/decision/identity/identity.js';

const user = (userId: string, roles: string[] = ['reader']): Identity => ({
  kind: 'user',
  userId,
  anonymous: false,
  verified: true,
  canReauthenticate: true,
  roles,
  amr: ['pwd'],
  authenticatedAt: 1_700_000_000,
  extraHeaders: [],
});
const grant = (scopes: string[] = ['openid']): AccessGrant => ({ audiences: ['https://app.example'], scopes, clientId: 'portal' });

describe('identity pool: one record per identity and grant (#25)', () => {
  it('hands the tokens of one user one record, headers included', () => {
    const pool = createIdentityPool(100);
    const first = pool.share(user('u1'), grant());
    const second = pool.share(user('u1'), grant());
    expect(second).toBe(first);
    expect(second.headers).toBe(first.headers);
  });

  it('never hands one user another user\'s record, nor a record of another grant or roles', () => {
    const pool = createIdentityPool(100);
    const base = pool.share(user('u1'), grant());
    for (const other of [pool.share(user('u2'), grant()), pool.share(user('u1'), grant(['openid', 'admin'])), pool.share(user('u1', ['reader', 'admin']), grant())]) {
      expect(other).not.toBe(base);
      expect(other.headers).not.toEqual(base.headers);
    }
  });

  it('keeps no record of an identity too large to send', () => {
    const pool = createIdentityPool(100);
    expect(() => pool.share(user('u'.repeat(5000)), grant())).toThrow(expect.objectContaining({ code: 'identity_too_large' }));
    // A smaller identity of the same shape is pooled as usual.
    expect(pool.share(user('u1'), grant())).toBe(pool.share(user('u1'), grant()));
  });

  it('shares nothing without room (no token cache)', () => {
    const pool = createIdentityPool(0);
    expect(pool.share(user('u1'), grant())).not.toBe(pool.share(user('u1'), grant()));
  });
});

describe('growing LRU', () => {
  it('holds at most its bound, evicting the least recently used', () => {
    const lru = createGrowingLru<{ n: number }>(3);
    for (const key of ['a', 'b', 'c']) lru.set(key, { n: 1 });
    lru.get('a');
    lru.set('d', { n: 1 });
    expect(lru.size).toBe(3);
    expect([...lru.keys()].sort()).toEqual(['a', 'c', 'd']);
  });
});
