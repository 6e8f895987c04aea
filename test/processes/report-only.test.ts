import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeOf } from '../support/answers.js';
import { CLAIMS, startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { logLines } from '../support/gate-logs.js';
import { writePolicy } from '../support/policies.js';
import { httpGet, startGateProcess, type Spawned } from '../support/processes.js';
import { parseSamples, sumOf, valueOf } from '../support/prometheus.js';

const TENANT = 'https://example.com/tenant';

// Each report-only rule sits before the rule that answers today, as a rollout puts it.
const POLICY = `
rules:
  - { name: admins-only, match: { path_prefix: /admin/ }, enforce: false, roles: [admin] }
  - { name: admin, match: { path_prefix: /admin/ } }
  - { name: closing, match: { path_prefix: /closing/ }, enforce: false, access: deny }
  - { name: acme-only, match: { path_prefix: /tenant/ }, enforce: false, mode: jwt, claims: { "${TENANT}": { equals: acme } } }
`;

let authgear: AuthgearStandIn;
let gate: Spawned & { url: string };

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, POLICY_FILE: writePolicy(POLICY), LOG_LEVEL: 'info' });
});
afterAll(async () => {
  await gate?.stop();
  await authgear?.close();
});

const ask = (path: string, headers: Record<string, string> = {}) =>
  outcomeOf(fetch(`${gate.url}/auth`, { headers: { 'x-original-uri': path, 'x-original-host': 'app.example.test', ...headers } }));
const withToken = async (claims: Record<string, unknown> = {}, expiresIn?: number) => ({
  authorization: `Bearer ${await authgear.accessToken({ claims, ...(expiresIn !== undefined ? { expiresIn, now: Math.floor(Date.now() / 1000) - 600 } : {}) })}`,
});
const scrape = async () => (await httpGet(`${gate.url}/metrics`)).body;
const wouldDenyLines = (path: string) => logLines(gate).filter((line) => line.msg === 'would deny (report-only rule)' && line.path === path);

describe('report-only rules (enforce: false), through the built server', () => {
  it('answers as the next enforced rule would, and logs and counts what the report-only rule would have refused', async () => {
    expect(await ask('/admin/users', await withToken())).toEqual([200, 'allowed']);
    expect(await ask('/admin/users', await withToken({ [CLAIMS.roles]: ['admin'] }))).toEqual([200, 'allowed']);
    expect(wouldDenyLines('/admin/users')).toEqual([
      expect.objectContaining({ level: 30, rule: 'admins-only', reason: 'missing_role', status: 403, decision: 'would_deny', answer: { status: 200, reason: 'allowed', rule: 'admin' } }),
    ]);
    const text = await scrape();
    expect(valueOf(text, 'authgear_gate_would_deny_total', { rule: 'admins-only', reason: 'missing_role' })).toBe(1);
    // decisions_total counts answers: both requests once, as allowed, and no would_deny among them.
    expect(valueOf(text, 'authgear_gate_decisions_total', { result: 'allow', reason: 'allowed', via: 'jwt', principal: 'user' })).toBe(2);
    expect(parseSamples(text).filter((sample) => sample.name === 'authgear_gate_decisions_total' && sample.labels.result !== 'allow')).toEqual([]);
  });

  it('never softens authentication: no token, or a bad one, is refused whatever the rule says', async () => {
    expect(await ask('/admin/settings')).toEqual([401, 'credentials_missing']);
    expect(await ask('/admin/settings', await withToken({}, 60))).toEqual([401, 'token_expired']);
    expect(wouldDenyLines('/admin/settings')).toEqual([]);
    expect(sumOf(await scrape(), 'authgear_gate_would_deny_total', { rule: 'admins-only' })).toBe(1);
  });

  it('reports a report-only access: deny, and a claim condition by claim and operator, never its value', async () => {
    expect(await ask('/closing/soon', await withToken())).toEqual([200, 'allowed']);
    expect(await ask('/tenant/x', await withToken({ [TENANT]: 'globex-secret' }))).toEqual([200, 'allowed']);
    expect(await ask('/tenant/x', await withToken({ [TENANT]: 'acme' }))).toEqual([200, 'allowed']);
    expect(wouldDenyLines('/closing/soon')).toEqual([expect.objectContaining({ rule: 'closing', reason: 'route_denied' })]);
    expect(wouldDenyLines('/tenant/x')).toEqual([expect.objectContaining({ rule: 'acme-only', reason: 'claim_mismatch', claim: TENANT, operator: 'equals' })]);
    expect(gate.output()).not.toContain('globex-secret');
    const text = await scrape();
    expect(valueOf(text, 'authgear_gate_would_deny_total', { rule: 'closing', reason: 'route_denied' })).toBe(1);
    expect(valueOf(text, 'authgear_gate_would_deny_total', { rule: 'acme-only', reason: 'claim_mismatch' })).toBe(1);
  });
});
