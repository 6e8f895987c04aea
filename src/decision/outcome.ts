import { DENIAL_STATUS, GateError, type DenialCode, type DenialStatus, type OutcomeCode } from '../errors.js';

export interface DenialOptions {
  cause?: unknown;
  /** Set when a more recent authentication would help: the freshness bound, in seconds (RFC 9470 max_age). */
  maxAge?: number;
  /** The scopes a route needs (space-separated), named in an insufficient_scope challenge. */
  scope?: string;
  /** Extra answer headers, e.g. the resolver's Set-Cookie clearing a dead session. */
  headers?: ReadonlyArray<readonly [string, string]>;
}

/** The request is not allowed through; `status` says whether to challenge, forbid or back off. */
export class Denial extends GateError {
  override readonly name = 'Denial';
  declare readonly code: DenialCode;
  readonly status: DenialStatus;
  readonly maxAge: number | undefined;
  readonly scope: string | undefined;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  constructor(code: DenialCode, message: string, options?: DenialOptions) {
    // A denial is an answer, not a bug: capturing a stack trace would cost more than the
    // rest of a 401 (measured: about 5 of 7 µs). A cause keeps its own stack.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(code, message, options);
    Error.stackTraceLimit = stackTraceLimit;
    this.status = DENIAL_STATUS[code];
    this.maxAge = options?.maxAge;
    this.scope = options?.scope;
    this.headers = options?.headers ?? [];
  }
}

/** What lets a request through without a refusal: a proven identity, or a route that needs none. */
export type AllowCode = 'allowed' | 'public' | 'cors_preflight';

/**
 * A decision, protocol-neutral: each gateway writes it in its own terms (nginx's 401 with a
 * Location where ForwardAuth sends a 302, Envoy's header mutations, a CheckResponse).
 */
export type Outcome =
  /** Let through, with the identity's headers (none for a public route or a CORS preflight). */
  | { kind: 'allow'; code: AllowCode; headers: ReadonlyArray<readonly [string, string]> }
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
