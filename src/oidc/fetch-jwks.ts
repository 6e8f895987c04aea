import { UpstreamError } from '../errors.js';
import type { UpstreamClient } from '../upstream/http-client.js';
import { signingKeySet, type JsonWebKeySet } from './key-set.js';

export async function fetchJwks(client: UpstreamClient, jwksPath: string): Promise<JsonWebKeySet> {
  const response = await client.request('jwks', { path: jwksPath, headers: { accept: 'application/json' } });
  if (response.status !== 200) throw new UpstreamError('jwks', `JWKS answered ${response.status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch (error) {
    throw new UpstreamError('jwks', 'JWKS is not JSON', { cause: error });
  }
  const jwks = signingKeySet(parsed);
  if (!jwks) throw new UpstreamError('jwks', 'JWKS has no public signing key');
  return jwks;
}
