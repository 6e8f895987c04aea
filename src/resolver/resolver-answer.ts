import { z } from 'zod';
import type { ResolverAnswer } from '../decision/authentication/session-resolver.js';

/** An answer as cached: fresh until `freshUntil` (ms), then only good for serving stale. */
export interface StoredAnswer {
  answer: ResolverAnswer;
  freshUntil: number;
}

const IdentitySchema = z.object({
  userId: z.string().min(1),
  anonymous: z.boolean(),
  verified: z.boolean(),
  canReauthenticate: z.boolean(),
  roles: z.array(z.string()),
  amr: z.array(z.string()),
  authenticatedAt: z.number().int().positive().optional(),
  extraHeaders: z.array(z.tuple([z.string(), z.string()])),
});

const StoredSchema = z.object({
  freshUntil: z.number(),
  answer: z.discriminatedUnion('valid', [
    z.object({ valid: z.literal(true), identity: IdentitySchema }),
    z.object({ valid: z.literal(false), setCookies: z.array(z.string()) }),
  ]),
});

export const encodeStoredAnswer = (stored: StoredAnswer): string => JSON.stringify(stored);

/** undefined for anything that is not an answer this version wrote: a miss, never a guess. */
export function decodeStoredAnswer(text: string): StoredAnswer | undefined {
  try {
    const parsed = StoredSchema.parse(JSON.parse(text));
    const { freshUntil, answer } = parsed;
    if (!answer.valid) return { freshUntil, answer };
    // The resolver answers for users only, so a stored identity is a user's whatever it says.
    return { freshUntil, answer: { valid: true, identity: { ...answer.identity, kind: 'user', authenticatedAt: answer.identity.authenticatedAt } } };
  } catch {
    return undefined;
  }
}
