import { KeyObject, sign } from 'node:crypto';
import { accessTokenClaims, type AuthgearStandIn } from '../test/support/authgear-stand-in.js';

/** One token the bench sends every stack, and whether refusing it is what makes a verifier. */
export interface VerificationCase {
  id: string;
  name: string;
  /**
   * A stack that answers a required case wrongly does not verify, and is not measured. The
   * others are recorded: what the stack does not check.
   */
  required: boolean;
  /** Every case but `valid` should be refused. */
  expect: 'accepted' | 'refused';
}

export const VERIFICATION_CASES: readonly VerificationCase[] = [
  { id: 'valid', name: 'a valid access token', required: true, expect: 'accepted' },
  { id: 'expired', name: 'expired 30 minutes ago', required: true, expect: 'refused' },
  { id: 'wrong-signature', name: 'signed by another key, under the published kid', required: true, expect: 'refused' },
  { id: 'wrong-audience', name: 'issued for another audience', required: true, expect: 'refused' },
  { id: 'wrong-issuer', name: 'another issuer, signed by the right key', required: false, expect: 'refused' },
  { id: 'id-token-type', name: "typ JWT (an ID token's), otherwise valid", required: false, expect: 'refused' },
  { id: 'no-exp', name: 'no exp (never expires)', required: false, expect: 'refused' },
  { id: 'other-algorithm', name: 'alg RS512, signed by the right key', required: false, expect: 'refused' },
  { id: 'expired-after-accepted', name: 'accepted while valid, sent again once expired', required: false, expect: 'refused' },
];

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Tokens the stand-in's jose will not sign: RS512 with its RS256 key. */
async function signRs512(authgear: AuthgearStandIn): Promise<string> {
  const key = authgear.keys[0]!;
  const now = Math.floor(Date.now() / 1000);
  const input = `${encode({ alg: 'RS512', typ: 'at+jwt', kid: key.kid })}.${encode(accessTokenClaims(authgear.origin, now, 3600))}`;
  return `${input}.${sign('sha512', Buffer.from(input), KeyObject.from(key.privateKey)).toString('base64url')}`;
}

/** The same tokens for every stack: each case but the one that needs time (see below). */
export async function mintCaseTokens(authgear: AuthgearStandIn): Promise<Record<string, string>> {
  const published = authgear.keys[0]!;
  const forger = await authgear.newUnpublishedKey();
  const now = Math.floor(Date.now() / 1000);
  return {
    valid: await authgear.accessToken({ expiresIn: 3600 }),
    expired: await authgear.accessToken({ now: now - 3600, expiresIn: 1800 }),
    'wrong-signature': await authgear.accessToken({ key: forger, header: { kid: published.kid } }),
    'wrong-audience': await authgear.accessToken({ claims: { aud: ['https://another-project.authgear.cloud'] } }),
    'wrong-issuer': await authgear.accessToken({ claims: { iss: 'https://another-project.authgear.cloud' } }),
    'id-token-type': await authgear.accessToken({ header: { typ: 'JWT' } }),
    'no-exp': await authgear.accessToken({ omit: ['exp'] }),
    'other-algorithm': await signRs512(authgear),
  };
}

/**
 * For "expired after accepted": a token valid for a few more seconds by this stack's clock
 * (its leeway past exp included: enough for a first request on a busy machine), and a control
 * with the same exp it never sees before it has expired. The control's refusal shows the
 * token has expired to the stack; an acceptance of the first after that came from a cache.
 */
export async function mintShortLived(authgear: AuthgearStandIn, leewaySeconds: number): Promise<{ token: string; control: string; expiredAfterMs: number }> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + 4 - leewaySeconds;
  const mint = () => authgear.accessToken({ now: now - 60, expiresIn: exp - (now - 60) });
  return { token: await mint(), control: await mint(), expiredAfterMs: (exp + leewaySeconds + 1) * 1000 };
}
