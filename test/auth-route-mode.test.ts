import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AuthenticateOptions, Authenticator } from '../src/authenticator.js';
import { createAuthDecision } from '../src/http/auth-decision.js';
import { createAuthRoute } from '../src/http/auth-route.js';
import { identityHeaders, type Identity } from '../src/identity.js';
import { createAuthorizer } from '../src/policy/authorize.js';
import { parsePolicy } from '../src/policy/policy-file.js';
import { createRequirementLookup } from '../src/policy/route-requirements.js';

// The JWT-only authenticator has one way to check; a recording one shows what the route asks for.
describe('the rule mode reaches the authenticator', () => {
  it('passes mode: resolver from the matched rule, and no mode elsewhere', async () => {
    const seen: Array<AuthenticateOptions | undefined> = [];
    const identity: Identity = { userId: 'u', anonymous: false, verified: true, canReauthenticate: true, roles: [], amr: [], authenticatedAt: 1, extraHeaders: [] };
    const authenticator: Authenticator = {
      async authenticate(_request, _credentials, options) {
        seen.push(options);
        return { identity, headers: identityHeaders(identity), via: 'jwt' };
      },
    };
    const policy = parsePolicy('rules: [{ match: { path_prefix: /sessions/ }, mode: resolver }]', 'p.yaml');
    const app = new Hono().all('/auth', createAuthRoute(createAuthDecision({
      authenticator,
      credentials: { maxTokenBytes: 8192, cookiePrefix: '' },
      realm: 'test',
      requirementsFor: createRequirementLookup({ policy, idTokensEnabled: false }),
      authorize: createAuthorizer({ clockSkewSeconds: 0, idTokens: undefined }),
      idTokenHeader: 'x-authgear-id-token',
      login: undefined,
      now: Date.now,
    })));
    await app.request('/auth', { headers: { host: 'a.test', 'x-original-uri': '/sessions/1' } });
    await app.request('/auth', { headers: { host: 'a.test', 'x-original-uri': '/other' } });
    expect(seen).toEqual([{ mode: 'resolver' }, undefined]);
  });
});
