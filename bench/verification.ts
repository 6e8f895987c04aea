import type { AuthgearStandIn } from '../test/support/authgear-stand-in.js';
import { httpGet } from '../test/support/processes.js';
import { mintCaseTokens, mintShortLived, VERIFICATION_CASES } from './verification-tokens.js';

/** A proxy that checks tokens: ours (nginx + the sidecar) or a native peer. */
export interface VerifyingStack {
  id: string;
  name: string;
  /** A protected URL: 200 for a token the stack accepts, 401 or 403 for one it refuses. */
  url: string;
  /** How long past exp the stack accepts a token (its clock leeway), so "expired" is expired to it. */
  leewaySeconds: number;
}

/** accepted, refused, or what else happened ("answered 502", "inconclusive: ..."). */
export type Answer = string;

export interface StackVerification {
  id: string;
  name: string;
  answers: Record<string, Answer>;
  /** Every required case answered as a verifier must: only such a stack is measured. */
  verifies: boolean;
}

async function ask(url: string, token: string): Promise<Answer> {
  const { status } = await httpGet(url, { authorization: `Bearer ${token}` });
  return status === 200 ? 'accepted' : status === 401 || status === 403 ? 'refused' : `answered ${status}`;
}

const sleepUntil = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms - Date.now())));

async function expiredAfterAccepted(stack: VerifyingStack, authgear: AuthgearStandIn): Promise<Answer> {
  const { token, control, expiredAfterMs } = await mintShortLived(authgear, stack.leewaySeconds);
  const first = await ask(stack.url, token);
  if (first !== 'accepted') return `inconclusive: ${first} while valid`;
  await sleepUntil(expiredAfterMs);
  const [again, unseen] = [await ask(stack.url, token), await ask(stack.url, control)];
  return unseen === 'accepted' ? 'inconclusive: accepts expired tokens' : again;
}

/**
 * Sends every stack every case, by real requests, before anything is measured. The stacks
 * are asked at the same time, so the one case that waits for a token to expire waits once.
 */
export async function verifyStacks(stacks: readonly VerifyingStack[], authgear: AuthgearStandIn): Promise<StackVerification[]> {
  const tokens = await mintCaseTokens(authgear);
  return Promise.all(
    stacks.map(async (stack): Promise<StackVerification> => {
      const answers: Record<string, Answer> = {};
      for (const [id, token] of Object.entries(tokens)) answers[id] = await ask(stack.url, token);
      answers['expired-after-accepted'] = await expiredAfterAccepted(stack, authgear);
      const verifies = VERIFICATION_CASES.filter((c) => c.required).every((c) => answers[c.id] === c.expect);
      return { id: stack.id, name: stack.name, answers, verifies };
    }),
  );
}

/** What a stack accepted that it should have refused: the correctness column beside its speed. */
export const uncheckedCases = (verification: StackVerification) =>
  VERIFICATION_CASES.filter((c) => verification.answers[c.id] !== undefined && verification.answers[c.id] !== c.expect);

/** Cases down, stacks across, an answer a verifier should not give in bold. */
export function formatVerificationTable(verifications: readonly StackVerification[]): string {
  const lines = [
    `| Token sent | ${verifications.map((v) => v.name).join(' | ')} |`,
    `|---|${verifications.map(() => '---|').join('')}`,
  ];
  for (const c of VERIFICATION_CASES) {
    const cells = verifications.map((v) => {
      const answer = v.answers[c.id] ?? '–';
      return answer === c.expect ? answer : `**${answer}**`;
    });
    lines.push(`| ${c.name}${c.required ? '' : ' (survey)'} | ${cells.join(' | ')} |`);
  }
  lines.push(`| verifies, so measured | ${verifications.map((v) => (v.verifies ? 'yes' : '**no: not measured**')).join(' | ')} |`);
  return lines.join('\n');
}

/**
 * The stacks whose rows are not to be measured. Ours must verify: a bench whose own stack
 * lets a forged token through is broken, not slow.
 */
export function unverifiedStacks(verifications: readonly StackVerification[], ours: string): Set<string> {
  const failing = verifications.filter((v) => !v.verifies);
  const own = failing.find((v) => v.id === ours);
  if (own) throw new Error(`${own.name} does not verify tokens: ${JSON.stringify(own.answers)}`);
  return new Set(failing.map((v) => v.id));
}
