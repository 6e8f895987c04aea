import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type { AuthDecision } from '../decision/question.js';
import type { ExtAuthzGateway } from '../gateways/ext-authz-http.js';
import { createDecisionRoute } from './answer-on-node.js';
import { failClosed } from './gate-app.js';

/**
 * EXT_AUTHZ_PORT: Envoy's ext_authz over HTTP and Gateway API ExternalAuth. Every request
 * here, whatever its path and method, is a question about an app request, so the sidecar's
 * own routes (/healthz, /metrics, /auth) are app paths here, judged like any other.
 */
export function createExtAuthzApp(decide: AuthDecision, checks: ExtAuthzGateway, onWriteError: (error: unknown) => void): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.all('*', createDecisionRoute(decide, (incoming, header, target) => checks(incoming.method, header, target), onWriteError));
  app.onError(failClosed);
  return app;
}
