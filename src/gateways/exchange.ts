import type { AuthQuestion, Outcome } from '../decision/question.js';

/**
 * One gateway's request as the decision needs it, and how that gateway takes the outcome:
 * all a gateway protocol supplies (Authelia's split of reading an object and answering it).
 * The answer may depend on what reading found (nginx and ForwardAuth share /auth).
 */
export interface Exchange<A> {
  question: AuthQuestion;
  answer(outcome: Outcome): A;
}
