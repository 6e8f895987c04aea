import { describe, expect, it } from 'vitest';
import type { AuthenticateOptions, Authenticator } from '../../src/decision/authentication/authenticator.js';
import { createAuthDecision } from '../../src/decision/decide.js';
import { nodeHeaderReader } from '../../src/gateways/header-reader.js';
import { readOriginalRequest } from '../../src/gateways/auth-request.js';
import { identityHeaders, type Identity } from '../../src/decision/identity/identity.js';
import { createAuthorizer } from '../../src/decision/policy/authorize.js';
import { parsePolicy } from '../../src/decision/policy/policy-file.js';
import { createRequirementLookup } from '../../src/decision/policy/route-requirements.js';

// The JWT-only authenticator has one way to check; a recording one shows what the route asks for.
describe('the rule mode reaches the authenticator', () => {
  it('passes mode: resolver from the matched rule, and no mode elsewhere', async () => {
    const seen: Array<AuthenticateOptions | undefined> = [];
    const identity: Identity = { kind: 'user', userId: 'u', anonymous: false, verified: true, canReauthenticate: true, roles: [], amr: [], authenticatedAt: 1, extraHeaders: [] };
    const authenticator: Authenticator = {
      async authenticate(_credentials, options) {
        seen.push(options);
        return { identity, grant: undefined, claims: undefined, headers: identityHeaders(identity), via: 'jwt', cache: 'none' };
      },
    };
    const policy = parsePolicy('rules: [{ match: { path_prefix: /sessions/ }, mode: resolver }]', 'p.yaml');
    const lookup = createRequirementLookup({ policy, idTokensEnabled: false });
    const decide = createAuthDecision({
      authenticator,
      credentials: { maxTokenBytes: 8192, cookiePrefix: '' },
      realm: 'test',
      policy: () => lookup,
      authorize: createAuthorizer({ clockSkewSeconds: 0, acceptedAudiences: [], idTokens: undefined }),
      idTokenHeader: 'x-authgear-id-token',
      login: undefined,
      now: Date.now,
    });
    const ask = (uri: string) => {
      const header = nodeHeaderReader({ rawHeaders: ['Host', 'a.test', 'X-Original-URI', uri] });
      return decide({ readRequest: () => readOriginalRequest(header), header, query: '' });
    };
    await ask('/sessions/1');
    await ask('/other');
    expect(seen).toEqual([{ mode: 'resolver' }, undefined]);
  });
});
