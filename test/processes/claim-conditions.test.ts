import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeOf } from '../support/answers.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { logLines } from '../support/gate-logs.js';
import { writePolicy } from '../support/policies.js';
import { REPO, startGateProcess, type Spawned } from '../support/processes.js';

const TENANT = 'https://example.com/tenant';
const LEVEL = 'https://example.com/level';
const GROUPS = 'https://authgear.com/claims/user/groups';
const SUSPENDED = 'https://example.com/suspended';

// One rule per claim shape. mode: jwt says what the rules mean: tokens only (see has-org).
const POLICY = `
rules:
  - { name: tenant, match: { path_prefix: /tenant/ }, mode: jwt, claims: { "${TENANT}": { equals: acme } } }
  - { name: email, match: { path_prefix: /email/ }, mode: jwt, claims: { email_verified: { equals: true } } }
  - { name: level, match: { path_prefix: /level/ }, mode: jwt, claims: { "${LEVEL}": { equals: 3 } } }
  - { name: groups-any, match: { path_prefix: /groups-any/ }, mode: jwt, claims: { "${GROUPS}": { any_of: [a, b] } } }
  - { name: groups-all, match: { path_prefix: /groups-all/ }, mode: jwt, claims: { "${GROUPS}": { all_of: [a, b] } } }
  - { name: country, match: { path_prefix: /country/ }, mode: jwt, claims: { address: { members: { country: { equals: DE } } } } }
  - { name: active, match: { path_prefix: /active/ }, mode: jwt, claims: { "${SUSPENDED}": { exists: false } } }
  - { name: has-org, match: { path_prefix: /org/ }, claims: { "https://example.com/org": { exists: true } } }
`;

let authgear: AuthgearStandIn;
let gate: Spawned & { url: string };
let policyFile: string;

beforeAll(async () => {
  authgear = await startAuthgearStandIn();
  policyFile = writePolicy(POLICY);
  gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, POLICY_FILE: policyFile, LOG_LEVEL: 'info' });
});
afterAll(async () => {
  await gate?.stop();
  await authgear?.close();
});

const ask = async (path: string, claims?: Record<string, unknown>, omit?: string[]) => {
  const credentials = claims === undefined ? {} : { authorization: `Bearer ${await authgear.accessToken({ claims, ...(omit ? { omit } : {}) })}` };
  return outcomeOf(fetch(`${gate.url}/auth`, { headers: { 'x-original-uri': path, 'x-original-method': 'GET', 'x-original-host': 'app.example.test', ...credentials } }));
};
const ALLOWED = [200, 'allowed'];
const MISMATCH = [403, 'claim_mismatch'];

describe('claim conditions, on each shape of claim, through the built server', () => {
  it('equals on a string claim: the same string only', async () => {
    expect(await ask('/tenant/1', { [TENANT]: 'acme' })).toEqual(ALLOWED);
    expect(await ask('/tenant/1', { [TENANT]: 'globex' })).toEqual(MISMATCH);
    expect(await ask('/tenant/1', { [TENANT]: ['acme'] })).toEqual(MISMATCH);
    expect(await ask('/tenant/1', {})).toEqual(MISMATCH);
  });

  it('equals on a boolean claim: true, not "true" or 1', async () => {
    expect(await ask('/email/1', { email_verified: true })).toEqual(ALLOWED);
    expect(await ask('/email/1', { email_verified: 'true' })).toEqual(MISMATCH);
    expect(await ask('/email/1', { email_verified: 1 })).toEqual(MISMATCH);
    expect(await ask('/email/1', { email_verified: false })).toEqual(MISMATCH);
  });

  it('equals on a number claim: 3, not "3"', async () => {
    expect(await ask('/level/1', { [LEVEL]: 3 })).toEqual(ALLOWED);
    expect(await ask('/level/1', { [LEVEL]: '3' })).toEqual(MISMATCH);
    expect(await ask('/level/1', { [LEVEL]: 4 })).toEqual(MISMATCH);
  });

  it('any_of: the value, or any element of an array claim, in the list', async () => {
    expect(await ask('/groups-any/1', { [GROUPS]: ['x', 'b'] })).toEqual(ALLOWED);
    expect(await ask('/groups-any/1', { [GROUPS]: 'a' })).toEqual(ALLOWED);
    expect(await ask('/groups-any/1', { [GROUPS]: ['x', 'y'] })).toEqual(MISMATCH);
    expect(await ask('/groups-any/1', { [GROUPS]: [] })).toEqual(MISMATCH);
    expect(await ask('/groups-any/1', {})).toEqual(MISMATCH);
  });

  it('all_of: an array claim holding every listed value', async () => {
    expect(await ask('/groups-all/1', { [GROUPS]: ['b', 'x', 'a'] })).toEqual(ALLOWED);
    expect(await ask('/groups-all/1', { [GROUPS]: ['a'] })).toEqual(MISMATCH);
    expect(await ask('/groups-all/1', { [GROUPS]: 'a' })).toEqual(MISMATCH);
  });

  it('members: a nested claim, absent at any level, or under a claim that is no object', async () => {
    expect(await ask('/country/1', { address: { country: 'DE', locality: 'Berlin' } })).toEqual(ALLOWED);
    expect(await ask('/country/1', { address: { country: 'FR' } })).toEqual(MISMATCH);
    expect(await ask('/country/1', { address: { locality: 'Berlin' } })).toEqual(MISMATCH);
    expect(await ask('/country/1', { address: 'DE' })).toEqual(MISMATCH);
    expect(await ask('/country/1', { address: ['DE'] })).toEqual(MISMATCH);
    expect(await ask('/country/1', {})).toEqual(MISMATCH);
  });

  it('exists: false lets an absent (or null) claim through and nothing else; exists: true the reverse', async () => {
    expect(await ask('/active/1', {})).toEqual(ALLOWED);
    expect(await ask('/active/1', { [SUSPENDED]: null })).toEqual(ALLOWED);
    expect(await ask('/active/1', { [SUSPENDED]: false })).toEqual(MISMATCH);
    expect(await ask('/org/1', { 'https://example.com/org': 'o-1' })).toEqual(ALLOWED);
    expect(await ask('/org/1', {})).toEqual(MISMATCH);
  });

  it('counts only verified claims: a token that fails verification is refused before any condition', async () => {
    expect(await ask('/tenant/1')).toEqual([401, 'credentials_missing']);
    const forged = (await authgear.accessToken({ claims: { [TENANT]: 'acme' }, key: await authgear.newUnpublishedKey() }));
    expect(await outcomeOf(fetch(`${gate.url}/auth`, { headers: { 'x-original-uri': '/tenant/1', 'x-original-host': 'app.example.test', authorization: `Bearer ${forged}` } }))).toEqual([401, 'unknown_key']);
  });

  it('refuses a session on a rule with claim conditions with its own reason: the resolver answers with headers, not claims', async () => {
    const session = authgear.sessions.issue('session').value;
    const answer = await outcomeOf(fetch(`${gate.url}/auth`, { headers: { 'x-original-uri': '/org/1', 'x-original-host': 'app.example.test', cookie: `session=${session}` } }));
    expect(answer).toEqual([403, 'claims_unavailable']);
  });

  it('logs which condition failed, by claim and operator, never the claim\'s value', async () => {
    await ask('/tenant/secret-check', { [TENANT]: 'globex-secret-tenant' });
    await ask('/country/secret-check', { address: { country: 'secret-country-XY' } });
    const refusals = logLines(gate).filter((line) => line.reason === 'claim_mismatch' && String(line.path).endsWith('/secret-check'));
    expect(refusals).toEqual([
      expect.objectContaining({ rule: 'tenant', claim: TENANT, operator: 'equals' }),
      expect.objectContaining({ rule: 'country', claim: 'address', members: ['country'], operator: 'equals' }),
    ]);
    expect(gate.output()).not.toContain('globex-secret-tenant');
    expect(gate.output()).not.toContain('secret-country-XY');
  });

  it('--check-config warns (and passes) when a rule with claim conditions also takes sessions', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(REPO, 'dist/server.js'), '--check-config'], {
      env: { PATH: process.env.PATH, AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud', POLICY_FILE: policyFile },
    });
    expect(stdout).toContain('configuration is valid');
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^authgear-gate: warning: POLICY_FILE: rules\.7 \(has-org\): has claim conditions but mode auto also takes sessions.*claims_unavailable/)]);
  });
});
