/**
 * WWW-Authenticate for the Bearer scheme (RFC 6750 section 3, RFC 9470 for step-up).
 * Parameter values are quoted-strings; anything outside the allowed characters is replaced,
 * so no input can break the header.
 */
export interface BearerChallenge {
  realm: string;
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'insufficient_user_authentication';
  errorDescription?: string;
  maxAge?: number;
  acrValues?: string;
  /** RFC 6750 3: the space-separated scopes the resource needs. */
  scope?: string;
}

const quoted = (value: string): string => `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;

export function bearerChallenge(challenge: BearerChallenge): string {
  const params = [`realm=${quoted(challenge.realm)}`];
  if (challenge.error) params.push(`error=${quoted(challenge.error)}`);
  if (challenge.errorDescription) params.push(`error_description=${quoted(challenge.errorDescription)}`);
  if (challenge.maxAge !== undefined) params.push(`max_age=${quoted(String(challenge.maxAge))}`);
  if (challenge.acrValues) params.push(`acr_values=${quoted(challenge.acrValues)}`);
  if (challenge.scope) params.push(`scope=${quoted(challenge.scope)}`);
  return `Bearer ${params.join(', ')}`;
}
