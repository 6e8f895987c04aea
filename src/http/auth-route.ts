import type { Context, Handler } from 'hono';
import type { Authentication, Authenticator } from '../authenticator.js';
import { readCredentials, type CredentialOptions } from '../credentials.js';
import { Denial } from '../errors.js';
import { readOriginalRequest, type GatewayProtocol, type OriginalRequest } from '../original-request.js';
import { bearerChallenge } from './challenge.js';

export const REASON_HEADER = 'x-authgear-gate-reason';

export interface DecisionEvent {
  request: OriginalRequest | undefined;
  requestId: string | undefined;
  status: number;
  allowed: boolean;
  code: string;
  via: Authentication['via'] | undefined;
  durationMs: number;
  error: unknown;
}

export interface AuthRouteOptions {
  authenticator: Authenticator;
  credentials: CredentialOptions;
  realm: string;
  gateway?: GatewayProtocol;
  onDecision?: (event: DecisionEvent) => void;
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

function challengeFor(denial: Denial, realm: string): string | undefined {
  if (denial.status !== 401) return undefined;
  if (denial.code === 'credentials_missing') return bearerChallenge({ realm });
  const error = denial.code === 'credentials_malformed' || denial.code === 'request_malformed' ? 'invalid_request' : 'invalid_token';
  return bearerChallenge({ realm, error, errorDescription: denial.message });
}

/**
 * The /auth handler. Every answer has Content-Length: 0 so nginx keeps its upstream
 * connection alive; anything unexpected becomes a 503, because we only allow what we proved.
 */
export function createAuthRoute(options: AuthRouteOptions): Handler {
  const { authenticator, credentials, realm, onDecision, gateway = 'auto' } = options;

  return async function authRoute(c: Context) {
    const started = performance.now();
    let request: OriginalRequest | undefined;
    try {
      request = readOriginalRequest((name) => c.req.header(name), gateway);
      const authentication = await authenticator.authenticate(
        request,
        readCredentials(c.req.header('authorization'), c.req.header('cookie'), credentials),
      );
      for (const [name, value] of authentication.headers) c.header(name, value);
      c.header('content-length', '0');
      emit(200, 'allowed', authentication.via, undefined);
      return c.body('', 200);
    } catch (error) {
      const denial = error instanceof Denial ? error : new Denial('internal_error', 'could not decide', { cause: error });
      const challenge = challengeFor(denial, realm);
      if (challenge) c.header('www-authenticate', challenge);
      if (denial.status === 503) c.header('retry-after', '5');
      c.header(REASON_HEADER, denial.code);
      c.header('cache-control', 'no-store');
      c.header('content-length', '0');
      emit(denial.status, denial.code, undefined, error);
      return c.body('', denial.status);
    }

    function emit(status: number, code: string, via: Authentication['via'] | undefined, error: unknown) {
      if (!onDecision) return;
      const requestId = c.req.header('x-request-id');
      onDecision({
        request,
        requestId: requestId && REQUEST_ID.test(requestId) ? requestId : undefined,
        status,
        allowed: status === 200,
        code,
        via,
        durationMs: performance.now() - started,
        error,
      });
    }
  };
}
