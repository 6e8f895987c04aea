import { createPublicKey } from 'node:crypto';
import type { AuthgearStandIn } from '../../test/support/authgear-stand-in.js';
import { startApache, type RunningApache } from './apache.js';
import { startHaproxy, type RunningHaproxy } from './haproxy.js';
import type { PeerOptions } from './peer-process.js';

/** The native alternatives to nginx + the sidecar, each proxying to the same app. */
export interface Peers {
  haproxy: RunningHaproxy;
  apacheOauth2: RunningApache;
  apacheOpenidc: RunningApache;
}

/** What the peers are told of the stand-in: its origin, its JWKS, and its key as a PEM for those that need a file. */
export function peerOptions(authgear: AuthgearStandIn, appPort: number): PeerOptions {
  const key = authgear.keys[0]!;
  return {
    appPort,
    issuer: authgear.origin,
    kid: key.kid,
    publicKeyPem: createPublicKey({ key: key.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string,
    jwksUri: `${authgear.origin}/oauth2/jwks`,
  };
}

/** Starts each peer, handing each to `keep` (which stops it with the rig) as soon as it runs. */
export async function startPeers(options: PeerOptions, keep: <T extends { stop(): unknown }>(starting: Promise<T>) => Promise<T>): Promise<Peers> {
  return {
    haproxy: await keep(startHaproxy(options)),
    apacheOauth2: await keep(startApache('oauth2', options)),
    apacheOpenidc: await keep(startApache('openidc', options)),
  };
}
