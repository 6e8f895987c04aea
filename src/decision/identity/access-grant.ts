import { Denial } from '../outcome.js';

/** A verified token's claims set (a JSON object). */
export type TokenClaims = Readonly<Record<string, unknown>>;

/**
 * What a JWT access token grants besides who it is for: the resources it was issued for
 * (aud), its scopes and its client. A verified token keeps it, and every route judges it
 * afresh (audience, scopes), so a verdict for one route can never stand for another's.
 */
export interface AccessGrant {
  /** aud as a list: Authgear serializes one value as a one-element array, RFC 7519 allows a string. */
  audiences: readonly string[];
  /** The space-separated scope claim, split; empty when the token has none. */
  scopes: readonly string[];
  /** client_id (RFC 9068): the client the token was issued to. */
  clientId: string | undefined;
}

const invalid = (claim: string) => new Denial('claims_invalid', `token ${claim} claim is not a string`);

/**
 * Reads the grant of a signature-checked access token. scope and client_id are strings in
 * RFC 9068 and in every token Authgear issues: anything else is refused rather than guessed
 * at, because a scope check or an x-authgear-client-id header would otherwise rest on it.
 * An aud entry that is not a string can match no resource, so it is dropped.
 */
export function grantFromClaims(claims: TokenClaims): AccessGrant {
  const { aud } = claims;
  const scope = claims['scope'];
  const clientId = claims['client_id'];
  if (scope !== undefined && typeof scope !== 'string') throw invalid('scope');
  if (clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) throw invalid('client_id');
  return {
    audiences: typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((item): item is string => typeof item === 'string') : [],
    scopes: scope === undefined ? [] : scope.split(' ').filter(Boolean),
    clientId,
  };
}
