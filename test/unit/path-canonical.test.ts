import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Denial } from '../../src/decision/outcome.js';
import { normalizePath } from '../../src/decision/request/normalize-path.js';

const outcome = (path: string) => {
  try {
    return normalizePath(path);
  } catch (error) {
    return error instanceof Denial ? error.code : `crash: ${String(error)}`;
  }
};

// Each spelling makes at least two common routers (nginx, Caddy, Tomcat/Jetty/Spring, Express,
// WHATWG parsers, Werkzeug, Go's ServeMux, NFKC or case-folding matchers) see different paths.
const REFUSED: Record<string, string[]> = {
  'path parameters (servlets drop ;... per segment)': [
    '/public/..;/admin/x', '/public/%2e%2e;/admin/x', '/public/..;jsessionid=1/admin/x', '/public/..%3b/admin/x',
    '/public/..%3B/admin/x', '/public/.%2E;x/admin', '/admin;x/y', '/healthz;', '/a/%3b', '/PUBLIC/..;/ADMIN',
  ],
  'control characters, decoded or not': ['/a%00', '/%00/admin', '/a%0a', '/a%0D%0A', '/a%7f', '/a%1F', '/a%09b', '/a%C2%85', '/a%E2%80%A8'],
  'invisible characters': ['/a%EF%BB%BF', '/ad%E2%80%8Bmin', '/a%C2%A0b', '/a%E3%80%80'],
  'overlong or invalid UTF-8': ['/%c0%ae%c0%ae/admin', '/a%c0%afadmin', '/%e0%80%ae', '/a%c0%80', '/a%ed%a0%80', '/a%ff', '/a%c3', '/a\u00c0\u00ae', '/a\u00ff'],
  'backslashes (WHATWG reads them as /)': ['/public\\..\\admin', '/a\\b', '/public%5c..%5cadmin', '/a%5Cb'],
  'dot segments (Express does not resolve them, nginx does)': ['/.', '/..', '/a/./b', '/a/../b', '/a/..', '/a/.', '/%2e/admin', '/.%2e/admin', '/%2E%2E/admin'],
  'empty segments (//x is a host to WHATWG)': ['//admin/x', '/a//b', '//', '///evil.test'],
  'escaped characters that must be written as themselves': ['/%61dmin', '/%41', '/a%30', '/a%2d', '/a%5f', '/a%7E', '/a%2fb', '/admin%2F..%2Fpublic', '/a%2E'],
  'segments starting or ending with a space (trimmed by some matchers)': ['/admin%20', '/admin%20/x', '/%20admin', '/a/%20/b'],
  'double encoding': ['/%252e%252e/admin', '/a%252f', '/a%2525', '/a%25%32%65'],
  'malformed escapes': ['/%', '/a%4', '/a%zz', '/a%%41', '/a%G0'],
  'characters a normalizing or case-folding router reads as ASCII': [
    '/admin%EF%BC%8Fx', '/a%EF%BC%8E%EF%BC%8E/admin', '/%EF%BD%81dmin', '/%E2%84%AAey', '/admin%C5%BFx', '/%C4%B0d', '/sta%EF%AC%80', '/a%E2%80%A4%E2%80%A4',
  ],
  'fragments and queries, raw or escaped (a router parsing the decoded text ends the path there)': ['/admin#x', '/public#/../admin', '/x%3Fy', '/assets/..%23/admin', '/a%23b'],
};

const ACCEPTED: Array<[string, string]> = [
  ['/', '/'],
  ['/admin/x', '/admin/x'],
  ['/a/', '/a/'],
  ['/.well-known/openid-configuration', '/.well-known/openid-configuration'],
  ['/a.b/...c/...', '/a.b/...c/...'],
  ['/caf%C3%A9', '/caf\u00c3\u00a9'],
  ['/caf\u00c3\u00a9', '/caf\u00c3\u00a9'],
  ['/stra%C3%9Fe', '/stra\u00c3\u009fe'],
  ['/%E2%82%AC/x', '/\u00e2\u0082\u00ac/x'],
  ['/a%20b/c%2Cd/e%40f/g%3Ah', '/a b/c,d/e@f/g:h'],
  ['/~user/a-b_c', '/~user/a-b_c'],
  ['/a:b@c!$&\'()*+,=', '/a:b@c!$&\'()*+,='],
  ['/search/100%25', '/search/100%'],
];

describe('normalizePath: one spelling every router reads alike', () => {
  for (const [why, paths] of Object.entries(REFUSED)) {
    it.each(paths)(`refuses ${why}: %j`, (path) => {
      expect(outcome(path)).toBe('request_malformed');
    });
  }

  it.each(ACCEPTED)('accepts %j and decodes it to %j', (path, decoded) => {
    expect(outcome(path)).toBe(decoded);
  });
});

// Readings of a path by routers that disagree on the spellings above.
const nginxReading = (path: string) => path.replace(/%([0-9a-f]{2})/gi, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)));
const servletReading = (path: string) => nginxReading(path.split('/').map((segment) => segment.replace(/;.*$/s, '')).join('/'));
// The path's raw bytes are latin1 characters here (as nginx passes them); WHATWG reads text.
const whatwgReading = (path: string) => nginxReading(new URL(Buffer.from(path, 'latin1').toString('utf8'), 'http://h.test').pathname);
// A router that decodes first and parses the result as a URL again.
const doubleReading = (path: string) => whatwgReading(nginxReading(path));
const segments = (path: string) => path.split('/').length;

const PIECES = [
  '/', 'admin', 'public', 'a', '.', '..', '%2e', '%2E', ';', ';x=1', '%3b', '\\', '%5c', '%2f', '%2F', '%00', '%0a', '%7f', '%c0%ae', '%c0%af',
  '%e0%80%ae', '%25', '%252e', '%61', 'A', '%EF%BC%8F', '%C4%B0', '%E2%84%AA', '#', '%20', '%C3%A9', '\u00c3\u00a9', '~', '-', '_', '//', '%', '%zz',
  '%C3', '%2C', '@', ':', '%3F', '%23', '%40', '%25', '%2541',
];

describe('normalizePath, any mix of the pieces routers disagree on (property)', () => {
  it('either refuses with request_malformed, or every reading gives the same path', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }), (parts) => {
        const path = `/${parts.join('')}`;
        const result = outcome(path);
        if (result === 'request_malformed') return;
        expect(typeof result === 'string' && !result.startsWith('crash'), path).toBe(true);
        expect(nginxReading(path), path).toBe(result);
        expect(servletReading(path), path).toBe(result);
        expect(whatwgReading(path), path).toBe(result);
        expect(doubleReading(path), path).toBe(result);
        expect(segments(result), path).toBe(segments(path));
        expect(result, path).not.toMatch(/[;\\#\x00-\x1f\x7f]|\/\/|\/\.\.?(\/|$)/);
        for (const char of Buffer.from(result, 'latin1').toString('utf8')) {
          if (char.charCodeAt(0) >= 0x80) expect(char.normalize('NFKC'), path).not.toMatch(/[\x00-\x7f]/);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
