import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JWK } from 'jose';
import type { JoseRateReply, JoseRateRequest, JoseRateSetup } from './jose-rate-worker.js';

const WORKER = fileURLToPath(new URL('./jose-rate-worker.js', import.meta.url));

export interface JoseRate {
  /** Verifications per second over `seconds`, measured in the child. */
  measure(seconds: number): Promise<number>;
  stop(): void;
}

/** A long-lived child process, so every measurement of a run sees the same warmed-up jose. */
export async function startJoseRate(options: { publicJwk: JWK; issuer: string; tokens: string[] }): Promise<JoseRate> {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`jose rate worker exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (message: T) => { child.off('exit', onExit); resolve(message); });
    });
  const ready = next<string>();
  child.send({ type: 'setup', ...options } satisfies JoseRateSetup);
  await ready;
  return {
    async measure(seconds) {
      const reply = next<JoseRateReply>();
      child.send({ type: 'measure', seconds } satisfies JoseRateRequest);
      const { verifications, seconds: elapsed } = await reply;
      return verifications / elapsed;
    },
    stop: () => void child.kill(),
  };
}
