import { describe, expect, it } from 'vitest';
import { Denial } from '../../src/decision/outcome.js';
import { canonicalOriginalRequest } from '../../src/decision/request/original-request.js';
import { readOriginalRequest } from '../../src/gateways/auth-request.js';

const read = (headers: Record<string, string>) => readOriginalRequest((name) => headers[name]);
const codeOf = (headers: Record<string, string>) => {
  try {
    read(headers);
    return 'accepted';
  } catch (error) {
    return error instanceof Denial ? error.code : 'crash';
  }
};

describe('the original request', () => {
  it('is read from nginx headers', () => {
    expect(read({ host: 'sidecar', 'x-original-uri': '/orders/7?x=1', 'x-original-method': 'post', 'x-original-host': 'App.Example.com', 'x-forwarded-proto': 'https' })).toEqual({
      protocol: 'nginx', method: 'POST', proto: 'https', host: 'app.example.com', uri: '/orders/7?x=1', path: '/orders/7',
    });
  });

  it('is read from ForwardAuth headers (Traefik, Caddy)', () => {
    expect(read({ host: 'sidecar:8080', 'x-forwarded-method': 'DELETE', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/a/b' })).toEqual({
      protocol: 'forward-auth', method: 'DELETE', proto: 'http', host: 'app.example.com', uri: '/a/b', path: '/a/b',
    });
  });

  it('falls back to the Host of a direct call', () => {
    expect(read({ host: 'localhost:8080' })).toMatchObject({ protocol: 'direct', method: 'GET', host: 'localhost:8080', uri: '/' });
  });

  it('refuses a comma-joined X-Forwarded-Host whose values differ, and takes equal copies as one', () => {
    expect(codeOf({ 'x-forwarded-uri': '/', 'x-forwarded-host': 'a.example, b.example' })).toBe('request_malformed');
    expect(read({ 'x-forwarded-uri': '/', 'x-forwarded-host': 'a.example, a.example' }).host).toBe('a.example');
  });

  it('keeps raw non-ASCII bytes of a path nginx passed through', () => {
    expect(read({ host: 'a', 'x-original-uri': '/caf\u00c3\u00a9' }).path).toBe('/caf\u00c3\u00a9');
  });

  it.each([
    [{ host: 'a', 'x-original-uri': 'relative' }],
    [{ host: 'a', 'x-original-uri': '/with space' }],
    [{ host: 'a', 'x-original-uri': '/' + 'a'.repeat(9000) }],
    [{ host: 'a', 'x-original-uri': '/', 'x-original-method': 'GET / HTTP/1.1' }],
    [{ host: 'a', 'x-original-uri': '/', 'x-original-method': 'G\u00c9T' }],
    [{ host: 'evil/path', 'x-original-uri': '/' }],
    [{ host: '', 'x-original-uri': '/' }],
    [{ 'x-forwarded-uri': '/', 'x-forwarded-host': 'a\u0000b' }],
  ])('refuses a malformed header with request_malformed: %j', (headers) => {
    expect(codeOf(headers)).toBe('request_malformed');
  });
});

describe('a pinned gateway protocol', () => {
  const spoofed = { host: 'sidecar', 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/public', 'x-forwarded-host': 'app.example', 'x-original-uri': '/admin' };

  it('auto lets X-Original-URI win, which a ForwardAuth gateway must strip', () => {
    expect(readOriginalRequest((name) => spoofed[name as keyof typeof spoofed], 'auto').path).toBe('/admin');
  });

  it('forward-auth ignores a client-sent X-Original-URI', () => {
    expect(readOriginalRequest((name) => spoofed[name as keyof typeof spoofed], 'forward-auth')).toMatchObject({ protocol: 'forward-auth', path: '/public' });
  });

  it('nginx ignores client-sent X-Forwarded-* and requires its own header', () => {
    const headers = { host: 'sidecar', 'x-original-uri': '/a', 'x-forwarded-uri': '/b', 'x-forwarded-method': 'DELETE' };
    expect(readOriginalRequest((name) => headers[name as keyof typeof headers], 'nginx')).toMatchObject({ path: '/a', method: 'GET' });
    expect(() => readOriginalRequest((name) => ({ host: 'x' })[name as 'host'], 'nginx')).toThrow(Denial);
  });
});

describe('the shared check of an original request (every protocol, ext_authz included)', () => {
  const parts = { method: 'get', host: 'App.Example.COM:8443', uri: '/a/b?c=1', proto: 'https' as const };

  it('canonicalizes method and host and splits the path from the query', () => {
    expect(canonicalOriginalRequest('ext-authz', parts)).toEqual({ protocol: 'ext-authz', method: 'GET', proto: 'https', host: 'app.example.com:8443', uri: '/a/b?c=1', path: '/a/b' });
  });

  it.each([
    { method: '' }, { method: 'GET /' }, { host: '' }, { host: 'a b' }, { host: 'a/b' }, { host: 'a,b' },
    { uri: '' }, { uri: 'a' }, { uri: 'http://evil/' }, { uri: '/a b' }, { uri: '/a\u0000' }, { uri: '/' + 'a'.repeat(9000) },
  ])('refuses %j with request_malformed', (bad) => {
    expect(() => canonicalOriginalRequest('ext-authz', { ...parts, ...bad })).toThrow(expect.objectContaining({ code: 'request_malformed' }));
  });
});
