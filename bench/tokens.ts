import { fork, type ChildProcess } from 'node:child_process';
import { KeyObject, randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SigningKey } from '../test/support/authgear-stand-in.js';
import type { MintReply, MintRequest, MinterSetup } from './token-minter.js';

const MINTER = fileURLToPath(new URL('./token-minter.js', import.meta.url));

export interface MintOptions {
  key: SigningKey;
  claims: Record<string, unknown>;
  total: number;
  batchSize?: number;
  processes?: number;
  /** Tokens of this many users in turn; absent: every token of a user of its own. */
  users?: number;
}

/**
 * Distinct valid access tokens, in batches, signed by child processes (one per core by
 * default). Each child has at most two batches asked of it, so a slow consumer is never
 * flooded and every core stays busy.
 */
export async function* mintTokenBatches(options: MintOptions): AsyncGenerator<string[]> {
  const { total, batchSize = 1000 } = options;
  const setup: MinterSetup = {
    type: 'setup',
    privateKeyPem: KeyObject.from(options.key.privateKey).export({ format: 'pem', type: 'pkcs8' }) as string,
    kid: options.key.kid,
    claims: options.claims,
    runId: randomUUID().slice(0, 8),
    ...(options.users === undefined ? {} : { users: options.users }),
  };
  const children = Array.from({ length: Math.max(1, options.processes ?? availableParallelism()) }, () => fork(MINTER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const waiting = new Map<number, (tokens: string[]) => void>();
  const failed = new Promise<never>((_, reject) => {
    for (const child of children) {
      child.on('message', (reply: MintReply) => { waiting.get(reply.id)?.(reply.tokens); waiting.delete(reply.id); });
      child.on('exit', (code) => { if (code !== 0 && code !== null) reject(new Error(`token minter exited with ${code}`)); });
    }
  });
  failed.catch(() => {});
  let nextStart = 0;
  let nextId = 0;
  const queue: Array<{ child: ChildProcess; reply: Promise<string[]> }> = [];
  function ask(child: ChildProcess) {
    if (nextStart >= total) return;
    const request: MintRequest = { type: 'mint', id: nextId++, start: nextStart, count: Math.min(batchSize, total - nextStart) };
    nextStart += request.count;
    queue.push({ child, reply: new Promise((resolve) => waiting.set(request.id, resolve)) });
    child.send(request);
  }
  try {
    for (const child of children) child.send(setup);
    for (let round = 0; round < 2; round++) for (const child of children) ask(child);
    while (queue.length > 0) {
      const { child, reply } = queue.shift()!;
      const tokens = await Promise.race([reply, failed]);
      ask(child);
      yield tokens;
    }
  } finally {
    for (const child of children) child.kill();
  }
}

/** All of them at once, for lists small enough to hold (the bench's fresh-token list). */
export async function mintTokens(options: MintOptions): Promise<string[]> {
  const all: string[] = [];
  for await (const batch of mintTokenBatches(options)) all.push(...batch);
  return all;
}
