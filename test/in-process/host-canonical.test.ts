import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { Denial } from '../../src/decision/outcome.js';
import { createReturnUrlPolicy } from '../../src/decision/refusal/login/return-url.js';
import { canonicalHost } from '../../src/decision/request/original-request.js';
import { readOriginalRequest } from '../../src/gateways/auth-request.js';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { startTestGate, type TestGate } from '../support/gate.js';
import { tempDir } from '../support/processes.js';
import { reasonOf } from '../support/answers.js';

describe('canonicalHost: the one spelling host rules compare', () => {
  it.each([
    ['app.example.com', 'app.example.com'],
    ['APP.Example.COM', 'app.example.com'],
    ['app.example.com.', 'app.example.com'],
    ['app.example.com.:8443', 'app.example.com:8443'],
    ['App.Example.com:443', 'app.example.com:443'],
    ['localhost', 'localhost'],
    ['127.0.0.1:8080', '127.0.0.1:8080'],
    ['[::1]', '[::1]'],
    ['[2001:DB8::1]:443', '[2001:db8::1]:443'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
    ['a-b.c-d.e', 'a-b.c-d.e'],
  ])('%j is %j', (host, canonical) => {
    expect(canonicalHost(host)).toBe(canonical);
  });

  it.each([
    'admin.example.com..', '.admin.example.com', 'admin..example.com', '.', '..', '', ':443',
    `${'a'.repeat(64)}.example`, `${'a.'.repeat(126)}ab`, '-admin.example.com', 'admin-.example.com', 'admin.-example.com',
    'adm_in.example.com', 'admin.example.com/x', 'admin@example.com', 'admin example.com', 'admin\u00e9.example.com', 'a,b', 'a.example, b.example',
    'app.example.com:', 'app.example.com:0', 'app.example.com:080', 'app.example.com:65536', 'app.example.com:99999', 'app.example.com:1:2', 'app.example.com:x',
    '[::1', '::1', '[::1]x', '[fe80::1%25eth0]', '[not-v6]', '[1.2.3.4]',
    '0x7f.1', '2130706433', '127.1', '1.2.3.256', '01.2.3.4', 'example.123', 'example.0x1f',
  ])('refuses %j', (host) => {
    expect(canonicalHost(host)).toBeUndefined();
  });

  it('is what the original request carries, from any gateway', () => {
    const read = (headers: Record<string, string>) => readOriginalRequest((name) => headers[name]).host;
    expect(read({ 'x-original-uri': '/', 'x-original-host': 'Admin.Example.COM.' })).toBe('admin.example.com');
    expect(read({ 'x-forwarded-uri': '/', 'x-forwarded-host': 'admin.example.com.:8443' })).toBe('admin.example.com:8443');
    expect(read({ host: 'ADMIN.example.com' })).toBe('admin.example.com');
    for (const host of ['admin.example.com..', 'admin..example.com', 'a_b.example.com']) {
      expect(() => read({ 'x-forwarded-uri': '/', 'x-forwarded-host': host }), host).toThrow(Denial);
      expect(() => read({ 'x-original-uri': '/', 'x-original-host': host }), host).toThrow(Denial);
      expect(() => read({ host }), host).toThrow(Denial);
    }
  });
});

describe('host rules cannot be sidestepped by a spelling of the host', () => {
  let authgear: AuthgearStandIn;
  let gate: TestGate;
  beforeAll(async () => {
    authgear = await startAuthgearStandIn();
    const file = join(tempDir('hosts'), 'policy.yaml');
    // Public by default: a host rule that misses its host lets the request through.
    writeFileSync(file, 'default: { access: public }\nrules:\n  - name: admin\n    match: { hosts: [admin.example.test] }\n    access: authenticated\n');
    gate = await startTestGate(authgear, { POLICY_FILE: file });
  });
  afterAll(async () => {
    await gate?.close();
    await authgear?.close();
  });

  it.each(['admin.example.test', 'ADMIN.example.test', 'admin.example.test.', 'admin.example.test:443', 'Admin.Example.Test.:8443'])('%j is the admin host', async (host) => {
    expect(reasonOf(await gate.auth({ 'x-original-host': host }))).toBe('credentials_missing');
    expect(gate.decisions.at(-1)?.rule).toBe('admin');
  });

  it.each(['admin.example.test..', 'admin..example.test', '.admin.example.test', 'admin.example.test:', 'admin.example.test:0', 'admin_.example.test'])(
    '%j is refused, never the public default',
    async (host) => {
      const viaNginx = await gate.auth({ 'x-original-host': host });
      const viaForwardAuth = await gate.request('/auth', { headers: { 'x-forwarded-uri': '/', 'x-forwarded-host': host } });
      for (const response of [viaNginx, viaForwardAuth]) expect([response.status, reasonOf(response)]).toEqual([401, 'request_malformed']);
    },
  );

  it('other hosts get the public default', async () => {
    expect((await gate.auth({ 'x-original-host': 'www.example.test' })).status).toBe(200);
  });
});

describe('X-Forwarded-Host, X-Original-Host and X-Forwarded-Proto given more than once', () => {
  const read = (headers: Record<string, string>) => readOriginalRequest((name) => headers[name]);
  const code = (headers: Record<string, string>) => {
    try {
      read(headers);
      return 'accepted';
    } catch (error) {
      return error instanceof Denial ? error.code : 'crash';
    }
  };

  it('refuses copies that disagree: the gateway\'s cannot be told from the client\'s', () => {
    expect(code({ 'x-forwarded-uri': '/', 'x-forwarded-host': 'app.example.test, admin.example.test' })).toBe('request_malformed');
    expect(code({ 'x-forwarded-uri': '/', 'x-forwarded-host': 'admin.example.test,app.example.test' })).toBe('request_malformed');
    expect(code({ 'x-original-uri': '/', 'x-original-host': 'a.example, b.example' })).toBe('request_malformed');
    expect(code({ 'x-forwarded-uri': '/', 'x-forwarded-host': 'a.example', 'x-forwarded-proto': 'http, https' })).toBe('request_malformed');
    for (const proto of ['gopher', 'constructor', '__proto__', 'https ;']) {
      expect(code({ 'x-forwarded-uri': '/', 'x-forwarded-host': 'a.example', 'x-forwarded-proto': proto }), proto).toBe('request_malformed');
    }
    expect(code({ host: 'a.example, a.example' })).toBe('request_malformed');
  });

  it('takes equal copies as one (a gateway config that sets what the gateway sets too)', () => {
    expect(read({ 'x-forwarded-uri': '/', 'x-forwarded-host': 'a.example,a.example' }).host).toBe('a.example');
    expect(read({ 'x-original-uri': '/', 'x-original-host': 'a.example', 'x-forwarded-proto': 'https, https' }).proto).toBe('https');
    expect(read({ 'x-forwarded-uri': '/', 'x-forwarded-host': 'a.example', 'x-forwarded-proto': 'wss' }).proto).toBe('https');
  });

  it('refuses repeated methods and URIs (Node joins them with ", ")', () => {
    expect(code({ 'x-forwarded-uri': '/a, /b', 'x-forwarded-host': 'a.example' })).toBe('request_malformed');
    expect(code({ 'x-forwarded-uri': '/a', 'x-forwarded-method': 'GET, POST', 'x-forwarded-host': 'a.example' })).toBe('request_malformed');
    expect(code({ 'x-original-uri': '/a, /a', host: 'a.example' })).toBe('request_malformed');
  });
});

describe('return URLs and configured host patterns', () => {
  it('only ever return to a host in its canonical spelling', () => {
    const policy = createReturnUrlPolicy(['app.example.test', '*.apps.example.test']);
    expect(policy.check('https://app.example.test/x')).toBe('https://app.example.test/x');
    expect(policy.check('https://a.apps.example.test/')).toBe('https://a.apps.example.test/');
    for (const url of ['https://app.example.test./x', 'https://evil..apps.example.test/', 'https://a..apps.example.test/', 'https://APP.example.test./']) {
      expect(policy.check(url), url).toBeUndefined();
    }
  });

  it('refuse a host pattern that is no valid host name', () => {
    for (const hosts of ['app.example.test.', 'app..example.test', '-app.example.test', 'a_b.example.test', `${'a'.repeat(64)}.test`, '*.', 'app.example.test:443']) {
      expect(() => loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example', RETURN_TO_HOSTS: hosts }), hosts).toThrow(ConfigError);
    }
    expect(loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example', RETURN_TO_HOSTS: 'App.Example.test,*.apps.example.test' }).returnToHosts).toEqual(['app.example.test', '*.apps.example.test']);
  });
});
