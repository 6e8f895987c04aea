import type { AuthgearStandIn } from '../../test/support/authgear-stand-in.js';

/**
 * What the load sends, by class. Only `known` and `fresh` tokens and `session` cookies are
 * valid; an answer of 200 to anything else, or with another user's identity, is a wrong allow.
 */
export type CredentialClass = 'known' | 'fresh' | 'session' | 'forged' | 'none';

export interface Credential {
  class: CredentialClass;
  headers: Record<string, string>;
  /** The user the app must see when this is allowed. */
  sub: string | undefined;
}

export interface CredentialPool {
  pick(): Credential;
  /** Publishes a new signing key and switches the `fresh` tokens to it: they need a JWKS refetch. */
  rotate(): Promise<void>;
}

const MIX: Array<[CredentialClass, number]> = [['known', 0.45], ['fresh', 0.15], ['session', 0.15], ['forged', 0.15], ['none', 0.1]];
const TOKENS_PER_CLASS = 64;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function signed(authgear: AuthgearStandIn, prefix: string, count: number, kind: CredentialClass): Promise<Credential[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const sub = `${prefix}-${i}`;
      return { class: kind, headers: bearer(await authgear.accessToken({ claims: { sub } })), sub };
    }),
  );
}

/** Session cookies the resolver stand-in knows: answered by Authgear, cached through Redis. */
function sessions(authgear: AuthgearStandIn, count: number): Credential[] {
  return Array.from({ length: count }, () => {
    const { value, user } = authgear.sessions.issue('app_session');
    return { class: 'session', headers: { cookie: `app_session=${value}; theme=dark` }, sub: user.id };
  });
}

async function forged(authgear: AuthgearStandIn): Promise<Credential[]> {
  const stranger = await authgear.newUnpublishedKey();
  const valid = await authgear.accessToken();
  const [header, payload, signature] = valid.split('.') as [string, string, string];
  const tokens = [
    `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`,
    `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'admin' })).toString('base64url')}.${signature}`,
    `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${payload}.`,
    await authgear.accessToken({ expiresIn: -3600 }),
    await authgear.accessToken({ claims: { aud: ['https://other.example'] } }),
    await authgear.accessToken({ key: stranger }),
    await authgear.accessToken({ key: { ...stranger, kid: authgear.keys[0]!.kid } }),
    'not-a-jwt',
  ];
  const revoked = authgear.sessions.issue('app_session').value;
  authgear.sessions.revoke(revoked);
  return [
    ...tokens.map((token) => ({ class: 'forged' as const, headers: bearer(token), sub: undefined })),
    { class: 'forged', headers: { cookie: `app_session=${revoked}` }, sub: undefined },
    { class: 'forged', headers: { cookie: 'app_session=made-up-session-value' }, sub: undefined },
  ];
}

export async function createCredentialPool(authgear: AuthgearStandIn): Promise<CredentialPool> {
  const known = await signed(authgear, 'known-user', TOKENS_PER_CLASS, 'known');
  const cookies = sessions(authgear, TOKENS_PER_CLASS);
  const bad = await forged(authgear);
  let fresh: Credential[] = known;
  let generation = 0;
  const pools: Record<CredentialClass, () => Credential[]> = {
    known: () => known,
    fresh: () => fresh,
    session: () => cookies,
    forged: () => bad,
    none: () => [{ class: 'none', headers: {}, sub: undefined }],
  };
  return {
    pick() {
      let roll = Math.random();
      const [chosen] = MIX.find(([, share]) => (roll -= share) < 0) ?? MIX[0]!;
      const pool = pools[chosen]();
      return pool[Math.floor(Math.random() * pool.length)]!;
    },
    async rotate() {
      await authgear.rotate();
      generation++;
      fresh = await signed(authgear, `fresh-${generation}-user`, TOKENS_PER_CLASS / 4, 'fresh');
    },
  };
}
