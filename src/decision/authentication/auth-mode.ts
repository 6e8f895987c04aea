/**
 * auto: a JWT bearer is verified here, a session cookie or opaque token goes to Authgear's
 * resolver; jwt: local verification only; resolver: everything goes to the resolver, which
 * alone sees a logout or a disabled user before the JWT expires.
 */
export const AUTH_MODES = ['auto', 'jwt', 'resolver'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
