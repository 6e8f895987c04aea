// A child process of bench/tokens.ts: signs access tokens with node:crypto directly, the
// cheapest valid RS256 signature there is, so a million distinct tokens take minutes, not hours.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';

export interface MinterSetup {
  type: 'setup';
  privateKeyPem: string;
  kid: string;
  /** Every token carries these claims, with a distinct `sub` and `jti`. */
  claims: Record<string, unknown>;
  /** Makes tokens of different runs distinct too. */
  runId: string;
  /** Tokens of this many users in turn (token i is user i mod users's); absent: a user each. */
  users?: number;
}
export interface MintRequest {
  type: 'mint';
  id: number;
  start: number;
  count: number;
}
export interface MintReply {
  id: number;
  tokens: string[];
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let setup: { key: KeyObject; header: string; claims: Record<string, unknown>; runId: string; users: number | undefined } | undefined;

process.on('message', (message: MinterSetup | MintRequest) => {
  if (message.type === 'setup') {
    setup = {
      key: createPrivateKey(message.privateKeyPem),
      header: encode({ alg: 'RS256', typ: 'at+jwt', kid: message.kid }),
      claims: message.claims,
      runId: message.runId,
      users: message.users,
    };
    return;
  }
  if (!setup) throw new Error('mint request before setup');
  const tokens: string[] = [];
  for (let index = message.start; index < message.start + message.count; index++) {
    const id = `${setup.runId}-${index}`;
    const user = setup.users === undefined ? id : `${setup.runId}-${index % setup.users}`;
    const input = `${setup.header}.${encode({ ...setup.claims, sub: `bench-user-${user}`, jti: id })}`;
    tokens.push(`${input}.${sign('sha256', Buffer.from(input), setup.key).toString('base64url')}`);
  }
  process.send!({ id: message.id, tokens } satisfies MintReply);
});
