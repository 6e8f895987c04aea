import { renameSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { outcomeOf } from '../support/answers.js';
import { RESOLVE_PATH, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { bearer, startTestGate, type TestGate } from '../support/gate.js';
import { writePolicy } from '../support/policies.js';
import { valueOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait-for.js';

let authgear: AuthgearStandIn;
let gate: TestGate | undefined;
let file: string;

beforeAll(async () => { authgear = await startAuthgearStandIn(); });
afterAll(async () => { await authgear.close(); });
afterEach(async () => {
  authgear.setState('up');
  await gate?.close();
  gate = undefined;
});

/** Replaces the policy file whole, as an editor or kubelet does, and reads it again (SIGHUP's path). */
function reloadWith(yaml: string): string {
  writeFileSync(`${file}.next`, yaml);
  renameSync(`${file}.next`, file);
  return gate!.reloadPolicy('signal');
}
async function startWith(yaml: string, env: Record<string, string> = {}) {
  file = writePolicy(yaml);
  gate = await startTestGate(authgear, { POLICY_FILE: file, ...env });
  return gate;
}
const ask = (path: string, headers: Record<string, string>, target = '/auth') => outcomeOf(gate!.auth({ 'x-original-uri': path, ...headers }, target));

// Under A the report-only first rule is judged and the second one answers (public); under B
// the first rule closes the path. A request judged by A's first rule and B's rules after it
// would meet B's second rule: missing_role, which neither policy answers.
const A = `
rules:
  - { name: a-shadow, match: { path_prefix: /s/ }, enforce: false, roles: [nobody] }
  - { name: a-open, match: { path_prefix: /s/ } }
`;
const B = `
rules:
  - { name: b-closed, match: { path_prefix: /s/ }, access: deny }
  - { name: b-gamma, match: { path_prefix: /s/ }, roles: [gamma] }
`;

describe('a reload', () => {
  it('applies to requests that start after it; one in flight keeps its policy across its awaits', async () => {
    await startWith(A);
    const session = authgear.sessions.issue('session').value;
    // The resolver answers slowly: the request is in flight, past its lookup, while the policy changes.
    authgear.setState('up', 400);
    const asked = authgear.count(RESOLVE_PATH);
    const inFlight = ask('/s/1', { cookie: `session=${session}` });
    await waitFor(() => authgear.count(RESOLVE_PATH) > asked, 10_000, 'the resolver to be asked');
    expect(reloadWith(B)).toBe('success');
    expect(await ask('/s/1', { cookie: `session=${session}` })).toEqual([403, 'route_denied']);
    expect(await inFlight).toEqual([200, 'allowed']);
    expect(gate!.decisions.find((event) => event.rule === 'a-open')?.wouldDeny).toEqual([{ rule: 'a-shadow', denial: expect.objectContaining({ code: 'missing_role' }) }]);
  });

  it('compiles auth URL queries anew: an index of the old policy is another rule in the new one', async () => {
    await startWith('rules: [{ name: alpha, match: { path_prefix: /q/ }, roles: [alpha] }]');
    const token = bearer(await authgear.accessToken());
    expect(await ask('/q/1', token, '/auth?max_age=3000')).toEqual([403, 'missing_role']);
    reloadWith('rules: [{ name: closed, match: { path_prefix: /q/ }, access: deny }]');
    expect(await ask('/q/1', token, '/auth?max_age=3000')).toEqual([403, 'route_denied']);
  });

  it('gives a cached token the claims the new policy names', async () => {
    await startWith('rules: [{ name: any, match: { path_prefix: /t/ } }]');
    const acme = bearer(await authgear.accessToken({ claims: { 'https://example.com/tenant': 'acme' } }));
    const globex = bearer(await authgear.accessToken({ claims: { 'https://example.com/tenant': 'globex' } }));
    expect(await ask('/t/1', acme)).toEqual([200, 'allowed']);
    expect(await ask('/t/1', globex)).toEqual([200, 'allowed']);
    reloadWith('rules: [{ name: acme, match: { path_prefix: /t/ }, claims: { "https://example.com/tenant": { equals: acme } } }]');
    expect(await ask('/t/1', acme)).toEqual([200, 'allowed']);
    expect(await ask('/t/1', globex)).toEqual([403, 'claim_mismatch']);
    const misses = (text: string) => valueOf(text, 'authgear_gate_cache_lookups_total', { cache: 'token', layer: 'memory', outcome: 'miss' });
    // Served from the cache still: read again for the claims, not verified again.
    expect(misses(await gate!.metrics.text())).toBe(2);
  });

  it('keeps the last good policy when the new file is not valid, and says so', async () => {
    await startWith(A);
    const token = bearer(await authgear.accessToken());
    expect(reloadWith('rules: [{ match: {}, access: sometimes }]')).toBe('failure');
    expect(await ask('/s/1', token)).toEqual([200, 'allowed']);
    let text = await gate!.metrics.text();
    expect(valueOf(text, 'authgear_gate_policy_reload_total', { result: 'failure' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_policy_file_valid')).toBe(0);
    expect(reloadWith(B)).toBe('success');
    text = await gate!.metrics.text();
    expect(valueOf(text, 'authgear_gate_policy_file_valid')).toBe(1);
    expect(valueOf(text, 'authgear_gate_policy_reload_total', { result: 'success' })).toBe(1);
  });

  it('checks the new file against the settings, as at start', async () => {
    await startWith(A);
    expect(reloadWith('rules: [{ match: { path_prefix: /p/ }, max_auth_age: 60, freshness_from: id_token }]')).toBe('failure');
    expect(reloadWith('rules: [{ match: { path_prefix: /p/ }, claims: { a: { exists: true } } }]')).toBe('success');
  });
});
