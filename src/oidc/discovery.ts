import { z } from 'zod';
import { UpstreamError } from '../errors.js';
import type { UpstreamClient } from '../upstream/http-client.js';

export interface ProviderMetadata {
  issuer: string;
  /** Path of the JWKS on the issuer origin; never a URL from anywhere else. */
  jwksPath: string;
  authorizationEndpoint: string | undefined;
  endSessionEndpoint: string | undefined;
}

const DiscoveryDocument = z.object({
  issuer: z.string(),
  jwks_uri: z.url(),
  authorization_endpoint: z.url().optional(),
  end_session_endpoint: z.url().optional(),
});

/** Fetches OIDC discovery and checks it describes the configured project and nothing else. */
export async function fetchProviderMetadata(client: UpstreamClient, expectedIssuer: string): Promise<ProviderMetadata> {
  const response = await client.request('discovery', { path: '/.well-known/openid-configuration', headers: { accept: 'application/json' } });
  if (response.status !== 200) throw new UpstreamError('discovery', `discovery answered ${response.status}`);
  let document: z.infer<typeof DiscoveryDocument>;
  try {
    document = DiscoveryDocument.parse(JSON.parse(response.body));
  } catch (error) {
    throw new UpstreamError('discovery', 'discovery document is not valid', { cause: error });
  }
  if (document.issuer !== expectedIssuer) {
    throw new UpstreamError('discovery', `discovery issuer ${document.issuer} is not ${expectedIssuer}`);
  }
  const jwksUrl = new URL(document.jwks_uri);
  if (jwksUrl.origin !== expectedIssuer) {
    throw new UpstreamError('discovery', `jwks_uri ${jwksUrl.origin} is not on the issuer origin`);
  }
  return {
    issuer: document.issuer,
    jwksPath: jwksUrl.pathname + jwksUrl.search,
    authorizationEndpoint: document.authorization_endpoint,
    endSessionEndpoint: document.end_session_endpoint,
  };
}
