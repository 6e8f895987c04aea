import { randomUUID } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';
import { Denial } from '../decision/outcome.js';
import type { DecisionEvent, WouldDeny } from '../decision/question.js';
import type { UpstreamCall } from '../upstream/http-client.js';
import { createLogBudget } from './log-budget.js';

export type { Logger };

// Nothing logs headers today; should someone add them, these never reach a log line.
const SECRET_PATHS = ['authorization', 'cookie', '*.authorization', '*.cookie', 'headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie', 'token', '*.token'];

/**
 * The logger, writing JSON lines to `destination`: the server passes the bounded, never
 * blocking stdout of log-output.ts; pino's own default would buffer without limit and flush
 * synchronously at exit.
 */
export function createLogger(level: string, destination: DestinationStream): Logger {
  return pino(
    { level, base: { service: 'authgear-gate' }, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: SECRET_PATHS, censor: '[redacted]' } },
    destination,
  );
}

/** What an error may show in a log: its code and message, never a request's headers. */
export function describeError(error: unknown): { code?: string; message: string; cause?: string } | undefined {
  if (error === undefined) return undefined;
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return { ...(typeof code === 'string' ? { code } : {}), message: error.message, ...(cause ? { cause } : {}) };
}

/** Denial and failure lines per reason code and interval; the metrics count every decision. */
export const DECISION_LOG_BUDGET = { lines: 100, intervalMs: 10_000 };

/**
 * One line per denial and per failure, at most DECISION_LOG_BUDGET's lines per reason code
 * and interval: a flood of bad tokens is a hundred lines and a count, not a line per request
 * (authgear_gate_decisions_total has the exact numbers). Allows are logged only at debug,
 * because at tens of thousands of requests a second a line per allow is the bottleneck, and
 * there each one: debug is for following every request (the output's bound still holds).
 * Never a token, cookie or query string.
 */
export function createDecisionLogger(logger: Logger, options: { now: () => number }): (event: DecisionEvent) => void {
  const budget = createLogBudget({ ...DECISION_LOG_BUDGET, now: options.now });
  return function logDecision(event) {
    // policy_invalid and path_outside_prefix are an operator's mistake in a gateway config:
    // loud, with what is wrong.
    const loud = event.status >= 500 || event.code === 'policy_invalid' || event.code === 'path_outside_prefix';
    const level = loud ? 'warn' : event.allowed ? 'debug' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    if (!event.allowed) {
      const verdict = budget(event.code);
      if (verdict.leftOut > 0) {
        logger[level]({ reason: event.code, notLogged: verdict.leftOut, overMs: verdict.leftOutOverMs }, 'decisions not logged: more than the log budget for this reason');
      }
      if (!verdict.write) return;
    }
    logger[level](
      {
        requestId: event.requestId ?? randomUUID(),
        method: event.request?.method,
        host: event.request?.host,
        path: event.request?.path,
        protocol: event.request?.protocol,
        decision: event.allowed ? 'allow' : 'deny',
        status: event.status,
        reason: event.code,
        via: event.via,
        principal: event.principal,
        rule: event.rule,
        ...conditionOf(event.error),
        latencyMs: Math.round(event.durationMs * 1000) / 1000,
        ...(event.trace ? { trace_id: event.trace.traceId, span_id: event.trace.spanId } : {}),
        ...(loud ? { error: describeError(event.error) } : {}),
      },
      event.allowed ? 'allowed' : 'denied',
    );
  };
}

/** Which claim condition a refusal is about: the claim (and members inside it) and the operator, never a value. */
function conditionOf(error: unknown): { claim?: string; members?: readonly string[]; operator?: string } {
  const condition = error instanceof Denial ? error.condition : undefined;
  if (!condition) return {};
  return { claim: condition.claim, ...(condition.members.length > 0 ? { members: condition.members } : {}), operator: condition.operator };
}

/**
 * One line per refusal of a report-only rule, at info like a denial, within the same kind of
 * budget (per reason code), whatever the answer was: what an operator rolling a rule out
 * reads. The answer itself is logged as usual, by the decision logger.
 */
export function createWouldDenyLogger(logger: Logger, options: { now: () => number }): (event: DecisionEvent, wouldDeny: WouldDeny) => void {
  const budget = createLogBudget({ ...DECISION_LOG_BUDGET, now: options.now });
  return function logWouldDeny(event, { rule, denial }) {
    if (!logger.isLevelEnabled('info')) return;
    const verdict = budget(denial.code);
    if (verdict.leftOut > 0) logger.info({ reason: denial.code, notLogged: verdict.leftOut, overMs: verdict.leftOutOverMs }, 'report-only refusals not logged: more than the log budget for this reason');
    if (!verdict.write) return;
    logger.info(
      {
        requestId: event.requestId,
        method: event.request?.method,
        host: event.request?.host,
        path: event.request?.path,
        decision: 'would_deny',
        status: denial.status,
        reason: denial.code,
        rule,
        ...conditionOf(denial),
        principal: event.principal,
        answer: { status: event.status, reason: event.code, rule: event.rule },
      },
      'would deny (report-only rule)',
    );
  };
}

/**
 * One line per failed call to Authgear. Calls are shared between requests (one JWKS refetch
 * serves a burst), so the line has no request id; each affected request logs its own line
 * with its request id and this error.
 */
export function createUpstreamFailureLogger(logger: Logger): (call: UpstreamCall) => void {
  return function logUpstreamFailure(call) {
    if (call.outcome === 'success') return;
    logger.warn(
      {
        upstream: call.upstream,
        outcome: call.outcome,
        status: call.status,
        latencyMs: Math.round(call.durationMs * 1000) / 1000,
        error: describeError(call.error),
      },
      'upstream call failed',
    );
  };
}
