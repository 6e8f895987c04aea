import type { Authentication } from './authentication/authenticator.js';
import type { PrincipalKind } from './identity/identity.js';
import { Denial } from './outcome.js';
import type { OutcomeCode } from '../errors.js';
import type { HeaderReader } from './request/header-reader.js';
import type { OriginalRequest } from './request/original-request.js';

/**
 * What a gateway asks, as its protocol's reader (gateways/) presents it: how to read the
 * original request, the headers the client sent, and the auth URL's own query
 * (per-location requirements; '' when the protocol has none).
 */
export interface AuthQuestion {
  /** The normalized original request; throws a Denial when the protocol's headers do not describe one. */
  readRequest: () => OriginalRequest;
  header: HeaderReader;
  query: string;
}

/**
 * The answer to a gateway's question, as an outcome its writer turns into the protocol's
 * answer. Synchronous whenever nothing had to be awaited (a known token or session): the
 * writer then answers in the same tick, with no promise.
 */
export type AuthDecision = (question: AuthQuestion) => Outcome | Promise<Outcome>;

/** The trace and span a decision belongs to, as its log line shows them (lower-case hex). */
export interface TraceIds {
  traceId: string;
  spanId: string;
}

/** One decision, as logs, metrics and traces see it. */
export interface DecisionEvent {
  request: OriginalRequest | undefined;
  requestId: string | undefined;
  /** What was decided: let through, sent elsewhere (a browser to login), refused, or undecidable. */
  result: 'allow' | 'redirect' | 'deny' | 'unavailable';
  /** The status the outcome has in HTTP terms (a gateway may write a login redirect as 401 + Location). */
  status: number;
  allowed: boolean;
  code: OutcomeCode;
  via: Authentication['via'] | undefined;
  /** Who authenticated (also on a refusal that came after), undefined when nobody did. */
  principal: PrincipalKind | undefined;
  /** Their user id (or client_id_...): for a trace that TRACE_USER_ID allows, never logged. */
  subject: string | undefined;
  /** Where their authentication came from: a cache tier, or none (verified or resolved now). */
  cache: Authentication['cache'] | undefined;
  /** The decision's trace, when tracing is on. */
  trace: TraceIds | undefined;
  /** The policy rule that applied, if a policy file or an auth URL query is in use. */
  rule: string | undefined;
  /** Refusals of report-only rules (enforce: false), which did not give the answer; undefined when none. */
  wouldDeny: readonly WouldDeny[] | undefined;
  durationMs: number;
  error: unknown;
}

/** What a report-only rule would have answered, had it been enforced. */
export interface WouldDeny {
  rule: string | undefined;
  denial: Denial;
}

const RESULTS = { allow: 'allow', redirect: 'redirect', deny: 'deny', undecided: 'unavailable' } as const;

/** The result and HTTP-terms status of an outcome, for its event. */
export function resultOf(outcome: Outcome): Pick<DecisionEvent, 'result' | 'status' | 'allowed'> {
  const status = outcome.kind === 'allow' ? 200 : outcome.kind === 'redirect' ? 302 : outcome.denial.status;
  return { result: RESULTS[outcome.kind], status, allowed: outcome.kind === 'allow' };
}

/** What lets a request through without a refusal: a proven identity, or a route that needs none. */
export type AllowCode = 'allowed' | 'public' | 'cors_preflight';

/**
 * A decision, protocol-neutral: each gateway writes it in its own terms (nginx's 401 with a
 * Location where ForwardAuth sends a 302, Envoy's header mutations, a CheckResponse).
 */
export type Outcome =
  /**
   * Let through, with the identity's headers (none for a public route or a CORS preflight),
   * who it was and under which rule: what a signed assertion or a trace says of it.
   */
  | { kind: 'allow'; code: AllowCode; headers: ReadonlyArray<readonly [string, string]>; authentication: Authentication | undefined; rule: string | undefined }
  /** Refused: the denial's 401 (with its challenge) or 403. */
  | { kind: 'deny'; denial: Denial; challenge: string | undefined }
  /**
   * A browser sent elsewhere: to Authgear's login, for a refusal a login fixes (the denial and
   * its challenge kept for clients that read them), or back where it came from after login.
   */
  | { kind: 'redirect'; code: OutcomeCode; location: string; denial: Denial | undefined; challenge: string | undefined }
  /** Nothing could be decided (keys, the resolver, a fault): a refusal, never an allow. */
  | { kind: 'undecided'; denial: Denial };

/** The reason code of an outcome: what logs, metrics and the reason header say. */
export function outcomeCode(outcome: Outcome): OutcomeCode {
  return outcome.kind === 'allow' || outcome.kind === 'redirect' ? outcome.code : outcome.denial.code;
}

/** What nobody could decide: the same refusal a broken decision or a failed write gets. */
export const UNDECIDED: Outcome = Object.freeze({ kind: 'undecided', denial: new Denial('internal_error', 'could not decide') });
