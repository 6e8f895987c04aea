import { accepts, spawnProcess, type Spawned } from '../../test/support/processes.js';
import { waitFor } from '../../test/support/wait-for.js';

/** What every native peer needs to be told: where the app is, and whose tokens to accept. */
export interface PeerOptions {
  appPort: number;
  /** The Authgear project's origin: the tokens' iss, and the one entry of their aud. */
  issuer: string;
  /** The stand-in's signing key, as the peer reads it. */
  kid: string;
  publicKeyPem: string;
  jwksUri: string;
}

/** A peer listening on loopback: the port that verifies, and its pid for the CPU count. */
export interface RunningPeer {
  url: string;
  pid: number;
  stop(): Promise<unknown>;
}

/**
 * Starts a peer in the foreground (so it is our child, and stops with us) and waits until it
 * accepts connections on every port. A missing program says how to install it.
 */
export async function startListening(name: string, command: string, args: string[], ports: number[]): Promise<Spawned> {
  const spawned = spawnProcess(command, args);
  let failure: Error | undefined;
  spawned.process.once('error', (error) => {
    failure = error;
  });
  await waitFor(async () => {
    if (failure) throw new Error(`${name} could not start (${failure.message}): bash .ci/install-system-deps installs it`);
    if (spawned.process.exitCode !== null) throw new Error(`${name} exited: ${spawned.output()}`);
    return (await Promise.all(ports.map(accepts))).every(Boolean);
  }, 15_000, `${name} to listen`);
  return spawned;
}
