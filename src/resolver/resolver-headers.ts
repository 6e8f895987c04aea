import { GateError } from '../errors.js';
import { authgearRoles, HEADER, type Identity } from '../decision/identity/identity.js';

/** The resolver's answer is off its contract: a resolver failure (503), never a user. */
export class ResolverAnswerError extends GateError {
  override readonly name = 'ResolverAnswerError';
  constructor(message: string) {
    super('resolver_answer_invalid', message);
  }
}

const BOOLEAN = { true: true, false: false } as const;
const UNIX_SECONDS = /^[1-9][0-9]{0,11}$/;

/**
 * Reads the identity Authgear's resolver sent in its headers (the answer of a valid session).
 * Anything off-contract throws: the caller treats it as a resolver failure, never as a user.
 */
export function identityFromResolverHeaders(header: (name: string) => string | undefined, onRoleRefused?: (role: string) => void): Identity {
  const userId = header(HEADER.userId);
  if (!userId) throw new ResolverAnswerError(`resolver answer has no ${HEADER.userId}`);
  const flag = (name: string): boolean => {
    const value = BOOLEAN[(header(name) ?? '') as keyof typeof BOOLEAN];
    if (value === undefined) throw new ResolverAnswerError(`resolver answer has no true/false ${name}`);
    return value;
  };
  const authenticatedAt = header(HEADER.authenticatedAt);
  if (authenticatedAt !== undefined && !UNIX_SECONDS.test(authenticatedAt)) throw new ResolverAnswerError(`resolver answer has a malformed ${HEADER.authenticatedAt}`);
  const split = (value: string | undefined, separator: string) => (value ?? '').split(separator).map((part) => part.trim()).filter(Boolean);
  // The resolver answers for users only: Authgear's M2M tokens are JWTs, verified by the sidecar.
  return {
    kind: 'user',
    userId,
    anonymous: flag(HEADER.anonymous),
    verified: flag(HEADER.verified),
    canReauthenticate: flag(HEADER.canReauthenticate),
    roles: authgearRoles(split(header(HEADER.roles), ','), onRoleRefused),
    amr: split(header(HEADER.amr), ' '),
    authenticatedAt: authenticatedAt === undefined ? undefined : Number(authenticatedAt),
    extraHeaders: [],
  };
}
