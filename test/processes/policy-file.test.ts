import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { parsePolicy } from '../../src/decision/policy/policy-file.js';
import { DEFAULT_REQUIREMENTS } from '../../src/decision/policy/requirements.js';
import { REPO } from '../support/processes.js';
import { writePolicy } from '../support/policies.js';

const problemsOf = (text: string, name = 'policy.yaml'): string[] => {
  try {
    parsePolicy(text, name);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

const BAD_POLICY = `
default:
  access: sometimes
  max_auth_age: -5
rules:
  - match: { path_prefix: admin }
    roles: { any_of: [admin], one_of: [x] }
  - match: { path_regex: "([" }
    mode: magic
  - match: {}
    when_cannot_reauthenticate: maybe
  - match: { path_prefix: /a, path_regex: "^/a" }
    maxAuthAge: 300
  - match: { methods: [GET] }
    freshness_from: id_token
`;

describe('policy files', () => {
  it('reads YAML into ordered rules whose unsaid fields come from the default rule', () => {
    const policy = parsePolicy(
      `
default: { deny_anonymous: true, max_auth_age: 3600 }
rules:
  - name: health
    match: { path_prefix: /healthz, methods: [get] }
    access: public
  - match: { hosts: [Admin.Example.com, "*.internal.example.com"], path_regex: "^/admin(/|$)" }
    roles: [admin, owner]
    max_auth_age: 300
`,
      'policy.yaml',
    );
    expect(policy.rules.map((rule) => rule.name)).toEqual(['health', 'rules.1']);
    expect(policy.rules[0]!.match).toEqual({ pathPrefix: '/healthz', methods: ['GET'] });
    expect(policy.rules[0]!.requirements).toMatchObject({ access: 'public', denyAnonymous: true, maxAuthAge: 3600 });
    expect(policy.rules[1]!.match.hosts).toEqual(['admin.example.com', '*.internal.example.com']);
    expect(policy.rules[1]!.requirements).toMatchObject({ rolesAnyOf: ['admin', 'owner'], rolesAllOf: [], maxAuthAge: 300, denyAnonymous: true });
    expect(policy.fallback.requirements).toEqual({ ...DEFAULT_REQUIREMENTS, denyAnonymous: true, maxAuthAge: 3600 });
  });

  it('reads JSON', () => {
    const policy = parsePolicy(JSON.stringify({ rules: [{ match: { path_prefix: '/x' }, roles: { all_of: ['a', 'b'] } }] }), 'policy.json');
    expect(policy.rules[0]!.requirements.rolesAllOf).toEqual(['a', 'b']);
  });

  it('lists every problem of a bad file at once, each with where it is', () => {
    const problems = problemsOf(BAD_POLICY);
    const where = problems.map((problem) => problem.split(': ')[1]);
    expect(where).toEqual(
      expect.arrayContaining([
        'default.access', 'default.max_auth_age', 'rules.0.match.path_prefix', 'rules.0.roles',
        'rules.1.match.path_regex', 'rules.1.mode', 'rules.2.match', 'rules.2.when_cannot_reauthenticate', 'rules.3.match',
      ]),
    );
    expect(problems.some((problem) => problem.includes('rules.3') && problem.includes('maxAuthAge'))).toBe(true);
    expect(problems.every((problem) => problem.startsWith('POLICY_FILE: '))).toBe(true);
    expect(problems.length).toBeGreaterThanOrEqual(10);
  });

  it('refuses ID-token freshness without a freshness bound', () => {
    expect(problemsOf('rules: [{ match: { methods: [GET] }, freshness_from: id_token }]')).toEqual([
      'POLICY_FILE: rules.0: freshness_from id_token needs max_auth_age',
    ]);
  });

  it('refuses broken YAML, duplicate keys, broken JSON and unknown top-level keys', () => {
    expect(problemsOf('rules: [\n  - match')).not.toEqual([]);
    expect(problemsOf('default: {}\ndefault: {}')).toHaveLength(1);
    expect(problemsOf('{"rules": [', 'policy.json')[0]).toMatch(/not valid JSON/);
    expect(problemsOf('rule: []')[0]).toMatch(/rule/);
  });

  it('is read through loadConfig, with its problems listed among the other settings\' problems', () => {
    const files: Record<string, string> = { '/etc/gate/policy.yaml': BAD_POLICY };
    const readFile = (path: string) => {
      if (!(path in files)) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return files[path]!;
    };
    let error: unknown;
    try {
      loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example', PORT: 'x', POLICY_FILE: '/etc/gate/policy.yaml' }, { readFile });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.filter((problem) => problem.startsWith('PORT:'))).toHaveLength(1);
    expect(problems.filter((problem) => problem.startsWith('POLICY_FILE:')).length).toBeGreaterThanOrEqual(10);
    expect(() => loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example', POLICY_FILE: '/nope.yaml' }, { readFile })).toThrow(/cannot read \/nope.yaml: ENOENT/);
  });

  it('refuses a valid policy asking for ID tokens when no client id is configured', () => {
    const readFile = () => 'rules: [{ match: { path_prefix: /pay }, max_auth_age: 300, freshness_from: id_token }]';
    expect(() => loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example', POLICY_FILE: 'p.yaml' }, { readFile })).toThrow(/POLICY_FILE: a rule takes freshness from ID tokens, which needs CLIENT_IDS/);
    expect(loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example', POLICY_FILE: 'p.yaml', CLIENT_IDS: 'web' }, { readFile }).policy?.rules).toHaveLength(1);
  });

  it('checks login settings together: a redirect URI needs a client id', () => {
    expect(() => loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example', LOGIN_REDIRECT_URI: 'https://app.example/cb' })).toThrow(/LOGIN_REDIRECT_URI: needs CLIENT_IDS/);
    const config = loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example', LOGIN_REDIRECT_URI: 'https://app.example/cb', CLIENT_IDS: 'web, spa' });
    expect(config.clientIds).toEqual(['web', 'spa']);
    expect(config.returnToHosts).toEqual(['app.example']);
  });

  it('makes `node dist/server.js --check-config` exit non-zero and print every problem of a bad file', async () => {
    const file = writePolicy(BAD_POLICY);
    const run = promisify(execFile);
    const failure = await run(process.execPath, [join(REPO, 'dist/server.js'), '--check-config'], {
      env: { PATH: process.env.PATH, AUTHGEAR_ENDPOINT: 'https://myapp.authgear.cloud', POLICY_FILE: file },
    }).catch((error: { code: number; stderr: string }) => error);
    expect((failure as { code: number }).code).toBe(2);
    const stderr = (failure as { stderr: string }).stderr;
    for (const where of ['default.access', 'default.max_auth_age', 'rules.0.match.path_prefix', 'rules.1.match.path_regex', 'rules.1.mode', 'rules.2.match', 'rules.3.match']) {
      expect(stderr).toContain(`POLICY_FILE: ${where}`);
    }
  });
});
