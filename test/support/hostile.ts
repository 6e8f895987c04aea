import { base64url } from 'jose';
import fc from 'fast-check';

/**
 * Generators of adversarial input for /auth: what a hostile client, a broken gateway or a
 * token forger could send. Shared by the in-process and the spawned-process properties.
 */
const latin1 = (min: number, max: number) => fc.integer({ min, max }).map((code) => String.fromCharCode(code));

/** Anything fetch's Headers accepts: latin1 without NUL, CR, LF. */
export const headerValue = (maxLength = 200) =>
  fc.string({ unit: fc.oneof(latin1(0x20, 0x7e), latin1(0x01, 0x1f).filter((c) => c !== '\n' && c !== '\r'), latin1(0x80, 0xff)), maxLength });

const b64 = (text: string) => base64url.encode(text);
const b64Segment = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 400 });

const hostileHeaderObject = fc.record(
  {
    alg: fc.constantFrom('none', 'None', 'HS256', 'RS256', 'ES256', 'PS256', 'EdDSA', 'RSA-OAEP', '', 'rs256'),
    typ: fc.constantFrom('at+jwt', 'JWT', 'at+JWT', 'application/at+jwt'),
    kid: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('../../../etc/passwd'), fc.constant('x'.repeat(5000))),
    jku: fc.constant('http://127.0.0.1:9/jwks'),
    x5u: fc.constant('http://127.0.0.1:9/cert'),
    jwk: fc.constant({ kty: 'oct', k: 'c2VjcmV0' }),
    crit: fc.constantFrom(['b64'], ['exp'], []),
    b64: fc.boolean(),
  },
  { requiredKeys: ['alg'] },
);

const forgedClaims = (issuer: string) =>
  fc.record(
    {
      iss: fc.constantFrom(issuer, `${issuer}/`, 'https://evil.example'),
      aud: fc.constantFrom([issuer], issuer, 'test-client', []),
      sub: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      exp: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800 }), fc.constant('never'), fc.double()),
      nbf: fc.integer({ min: 0, max: 4_102_444_800 }),
      'https://authgear.com/claims/user/roles': fc.array(fc.string(), { maxLength: 3 }),
    },
    { requiredKeys: [] },
  );

/** A JWT-shaped string no key of ours signed: random segments, forged headers, alg none. */
export const forgedToken = (issuer: string) =>
  fc.oneof(
    fc.tuple(b64Segment, b64Segment, b64Segment).map((parts) => parts.join('.')),
    fc.tuple(hostileHeaderObject, forgedClaims(issuer), fc.constantFrom('', 'sig', 'A'.repeat(342))).map(
      ([header, claims, signature]) => `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}.${signature}`,
    ),
    fc.tuple(fc.json(), fc.json()).map(([header, payload]) => `${b64(header)}.${b64(payload)}.${b64('x')}`),
  );

/**
 * A valid token changed so that its signature no longer holds: any character of header or
 * payload, or of the signature except its last (whose low bits may be padding).
 */
export const tamperedToken = (valid: string) =>
  fc.tuple(fc.nat({ max: valid.length - 2 }), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')).map(([at, char]) => {
    if (valid[at] === '.') return valid.slice(0, at) + valid.slice(at + 1);
    const replacement = valid[at] === char ? (char === 'A' ? 'B' : 'A') : char;
    return valid.slice(0, at) + replacement + valid.slice(at + 1);
  });

export const authorizationValue = (issuer: string, validToken: string) =>
  fc.oneof(
    forgedToken(issuer).map((token) => `Bearer ${token}`),
    tamperedToken(validToken).map((token) => `Bearer ${token}`),
    fc.constantFrom('Bearer', 'Bearer ', 'bearer  x', 'Basic dXNlcjpwYXNz', 'Bearer a b', `Bearer ${validToken}x`, `Bearer ${validToken.split('.').slice(0, 2).join('.')}.`, `Bearer ${'a'.repeat(9000)}`, `Token ${validToken}`),
    headerValue().map((value) => `Bearer ${value}`),
    headerValue(),
  );

export const cookieValue = fc.oneof(
  fc.tuple(fc.constantFrom('app_session', 'app_access_token', 'session', 'other'), headerValue(100)).map(([name, value]) => `${name}=${value}`),
  fc.array(fc.tuple(fc.constantFrom('app_session', 'session', 'theme', ''), headerValue(40)), { maxLength: 4 }).map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('; ')),
  headerValue(),
);

export const originalUri = fc.oneof(
  fc.constantFrom('/', '/app', '/api/orders?page=2', '/../../etc/passwd', '//evil.example/x', '/%00', '/a%0d%0aSet-Cookie:x=1', '*', 'http://evil.example/', '', `/${'a'.repeat(9000)}`),
  headerValue().map((value) => `/${value}`),
  headerValue(),
);

export const method = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'get', 'PROPFIND', '', 'G E T'), headerValue(30));
export const host = fc.oneof(fc.constantFrom('app.example.test', 'APP.EXAMPLE.TEST:443', '[::1]:8080', '[::1', 'a,b', 'evil.example\tx', ''), headerValue(80));

const rawBytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes).toString('latin1'));
/** Mostly plausible, sometimes raw: all-raw requests would only ever test Node's parser. */
const mostly = <T>(plausible: fc.Arbitrary<T>, raw: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: plausible }, { weight: 1, arbitrary: raw });

/** A request as bytes on the wire: nothing here has to be valid HTTP, CR and LF included. */
export const rawRequest = (issuer: string) =>
  fc
    .record({
      method: mostly(fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'DELETE', 'get'), rawBytes(10)),
      target: mostly(fc.constantFrom('/auth', '/auth?x=1', '/auth?%zz', 'http://127.0.0.1/auth', '/auth#x', '/auth/'), rawBytes(40).map((bytes) => `/auth?${bytes}`)),
      version: mostly(fc.constant('HTTP/1.1'), fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', 'http/1.1')),
      host: mostly(fc.constant('app.example.test'), fc.option(rawBytes(30), { nil: undefined })),
      headers: fc.array(
        fc.tuple(
          fc.oneof(
            { weight: 12, arbitrary: fc.constantFrom('Authorization', 'Cookie', 'X-Original-URI', 'X-Original-Method', 'X-Original-Host', 'X-Forwarded-Uri', 'X-Forwarded-Host', 'X-Forwarded-Method', 'X-Request-Id', 'Expect') },
            { weight: 1, arbitrary: fc.constantFrom('Transfer-Encoding', 'Content-Length') },
            { weight: 1, arbitrary: rawBytes(12) },
          ),
          mostly(
            fc.oneof(fc.string({ maxLength: 100 }), forgedToken(issuer).map((token) => `Bearer ${token}`), fc.constantFrom('chunked', '5', '-1', '100-continue')),
            fc.oneof(headerValue(), rawBytes(200)),
          ),
        ),
        { maxLength: 5 },
      ),
      body: mostly(fc.constant(''), rawBytes(60)),
    })
    .map(({ method, target, version, host, headers, body }) =>
      Buffer.from(
        `${method} ${target} ${version}\r\n${host === undefined ? '' : `Host: ${host}\r\n`}${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${body}`,
        'latin1',
      ),
    );
