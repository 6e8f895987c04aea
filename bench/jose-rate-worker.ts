// A child process of bench/jose-rate.ts: jose's own RS256 verify rate on one core, with the
// same checks the sidecar makes, as the ceiling the "fresh token" row is compared with.
import { importJWK, jwtVerify, type JWK } from 'jose';

export interface JoseRateSetup {
  type: 'setup';
  publicJwk: JWK;
  issuer: string;
  tokens: string[];
}
export interface JoseRateRequest {
  type: 'measure';
  seconds: number;
}
export interface JoseRateReply {
  verifications: number;
  seconds: number;
}

let setup: { key: Awaited<ReturnType<typeof importJWK>>; issuer: string; tokens: string[] } | undefined;

async function measure(seconds: number): Promise<JoseRateReply> {
  const { key, issuer, tokens } = setup!;
  const options = { algorithms: ['RS256'], issuer, audience: issuer, typ: 'at+jwt', requiredClaims: ['exp', 'sub'] };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let verifications = 0;
  // One verification at a time: the rate of a single core, not of the libuv thread pool.
  while (performance.now() < deadline) {
    await jwtVerify(tokens[verifications % tokens.length]!, key, options);
    verifications++;
  }
  return { verifications, seconds: (performance.now() - started) / 1000 };
}

process.on('message', (message: JoseRateSetup | JoseRateRequest) => {
  if (message.type === 'setup') {
    void importJWK(message.publicJwk, 'RS256').then((key) => {
      setup = { key, issuer: message.issuer, tokens: message.tokens };
      process.send!('ready');
    });
    return;
  }
  void measure(message.seconds).then((reply) => process.send!(reply));
});
