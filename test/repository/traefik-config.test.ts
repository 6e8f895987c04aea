import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { kustomize } from '../support/kubernetes/render.js';
import { REPO } from '../support/processes.js';
import { loadStrictSchema } from '../support/strict-schema.js';
import { ROUTING_HEADERS } from '../../src/decision/request/routing-headers.js';

// No Traefik binary here: its configs are read and checked against Traefik's own semantics
// (pkg/middlewares/auth/forward.go, rules-and-priority.md), as far as they matter here.
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const dynamic = parse(read('traefik/dynamic.yml'));
const documents = (path: string) => [...parseAllDocuments(read(path))].map((document) => document.toJS());
const crds = [...documents('traefik/middleware.yaml'), ...documents('traefik/ingressroute.yaml')];
const overlay = kustomize('deploy/overlays/traefik');

type ForwardAuth = { address: string; authResponseHeaders?: string[]; authResponseHeadersRegex?: string; trustForwardHeader?: boolean };
const fileMiddlewares = dynamic.http.middlewares as Record<string, { forwardAuth?: ForwardAuth }>;
const forwardAuths: Array<[string, ForwardAuth]> = [
  ...Object.entries(fileMiddlewares).flatMap(([name, middleware]) => (middleware.forwardAuth ? [[`dynamic.yml ${name}`, middleware.forwardAuth] as [string, ForwardAuth]] : [])),
  ...[...crds, ...overlay].filter((object) => object?.kind === 'Middleware' && object.spec.forwardAuth).map((object) => [`Middleware ${object.metadata.name}`, object.spec.forwardAuth] as [string, ForwardAuth]),
];

// Go canonicalizes header names (X-Authgear-User-Id); Traefik matches the regex against those.
const canonical = (name: string) => name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase()).join('-');
const SENT_BY_SIDECAR = [...IDENTITY_HEADER_NAMES, 'x-authgear-tenant', 'x-authgear-department-code'];
const ID_TOKEN_HEADER = loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example' }).idTokenHeader;

describe('Traefik ForwardAuth middlewares (file provider and CRDs)', () => {
  it('are found: four per flavour', () => {
    expect(forwardAuths.map(([where]) => where)).toHaveLength(12);
  });

  it.each(forwardAuths)('%s strips and copies by ^X-Authgear-, which covers every header the sidecar can send', (_where, forwardAuth) => {
    expect(forwardAuth.authResponseHeadersRegex).toBe('^X-Authgear-');
    expect(forwardAuth.authResponseHeaders).toBeUndefined();
    expect(forwardAuth.trustForwardHeader).toBe(false);
    const regex = new RegExp(forwardAuth.authResponseHeadersRegex!);
    // Deleted from the client's request whether or not the answer has them: forged claim
    // headers and the client's ID token never reach the app.
    for (const name of [...SENT_BY_SIDECAR, ID_TOKEN_HEADER]) expect(regex.test(canonical(name)), name).toBe(true);
    for (const name of ['Authorization', 'Cookie', 'X-Forwarded-Host', 'X-Request-Id', 'X-Authgearx']) expect(regex.test(name), name).toBe(false);
  });

  it('ask for what each route needs, public included', () => {
    const addresses = forwardAuths.map(([, forwardAuth]) => forwardAuth.address.replace(/^http:\/\/[^/]+/, ''));
    for (const query of ['/auth', '/auth?max_age=300', '/auth?roles=admin', '/auth?access=public']) {
      expect(addresses.filter((address) => address === query), query).toHaveLength(3);
    }
  });
});

/** Traefik's router choice: matching rules, highest priority (by default the rule's length) first. */
function routerFor(routers: Array<{ name: string; rule: string }>, host: string, path: string): string | undefined {
  const matches = (rule: string) =>
    rule.split('&&').every((term) => {
      const [, kind, argument] = /^\s*(\w+)\(`([^`]*)`\)\s*$/.exec(term) ?? [];
      if (kind === 'Host') return host === argument;
      if (kind === 'Path') return path === argument;
      if (kind === 'PathPrefix') return path.startsWith(argument!);
      if (kind === 'PathRegexp') {
        const insensitive = argument!.startsWith('(?i)');
        return new RegExp(insensitive ? argument!.slice(4) : argument!, insensitive ? 'i' : '').test(path);
      }
      throw new Error(`unknown rule term ${term}`);
    });
  return routers.filter((router) => matches(router.rule)).sort((a, b) => b.rule.length - a.rule.length)[0]?.name;
}

const fileRouters = Object.entries(dynamic.http.routers as Record<string, { rule: string; middlewares: string[] }>).map(([name, router]) => ({ name, rule: router.rule, middlewares: router.middlewares }));
const crdRouters = crds.find((object) => object?.kind === 'IngressRoute').spec.routes.map((route: { match: string; middlewares: Array<{ name: string }> }) => ({
  name: route.middlewares.map((middleware) => middleware.name).join(' '),
  rule: route.match,
  middlewares: route.middlewares.map((middleware) => middleware.name),
}));
const middlewareOf = (routers: Array<{ name: string; rule: string; middlewares: string[] }>, path: string) =>
  routers.find((router) => router.name === routerFor(routers, 'app.example.com', path))?.middlewares.at(-1);

describe.each([['dynamic.yml', fileRouters], ['ingressroute.yaml', crdRouters]])('Traefik routes of %s', (_file, routers) => {
  it('every route asks the sidecar, right after X-Original-* are cleared', () => {
    for (const router of routers) {
      const checks = router.middlewares.findIndex((name: string) => /^authgear-gate(-(recent-login|admin|public))?$/.test(name));
      expect(checks, router.rule).toBeGreaterThan(0);
      expect(router.middlewares[checks - 1], router.rule).toBe('authgear-gate-clear-original');
    }
  });

  it.each([
    ['/healthz', 'authgear-gate-public'],
    ['/HEALTHZ', 'authgear-gate'],
    ['/healthz/', 'authgear-gate'],
    ['/admin', 'authgear-gate-admin'],
    ['/admin/', 'authgear-gate-admin'],
    ['/ADMIN/users', 'authgear-gate-admin'],
    ['/Admin', 'authgear-gate-admin'],
    ['/administrator', 'authgear-gate'],
    ['/account', 'authgear-gate-recent-login'],
    ['/Account/Password', 'authgear-gate-recent-login'],
    ['/orders', 'authgear-gate'],
  ])('%s goes through %s: stricter routes ignore case and the trailing slash, the public one does not', (path, middleware) => {
    expect(middlewareOf(routers, path)).toBe(middleware);
  });
});

describe('Traefik static configuration', () => {
  const staticConfig = loadStrictSchema('traefik-static.yaml');
  const dynamicConfig = loadStrictSchema('traefik-dynamic.yaml');
  const traefik = parse(read('traefik/traefik.yml'));

  it('traefik.yml and dynamic.yml match their schemas, which reject typos', () => {
    expect(staticConfig(traefik)).toEqual([]);
    expect(dynamicConfig(dynamic)).toEqual([]);
    const typo = structuredClone(dynamic);
    typo.http.middlewares['authgear-gate'].forwardAuth.authResponseHeader = [];
    expect(dynamicConfig(typo).join()).toMatch(/unknown field "authResponseHeader"/);
    expect(staticConfig({ entryPoints: { web: { adress: ':80' } } }).join()).toMatch(/unknown field "adress"|required property 'address'/);
    expect(staticConfig({ entryPoints: { web: { address: ':80', http: { encodedCharacter: {} } } } }).join()).toMatch(/unknown field "encodedCharacter"/);
  });

  it('refuses before routing the encoded characters the sidecar refuses, and keeps path sanitizing on', () => {
    for (const [name, entryPoint] of Object.entries(traefik.entryPoints as Record<string, { http: { sanitizePath?: boolean; encodedCharacters: Record<string, boolean> } }>)) {
      expect(entryPoint.http.sanitizePath, name).not.toBe(false);
      expect(entryPoint.http.encodedCharacters, name).toMatchObject({
        allowEncodedSlash: false, allowEncodedBackSlash: false, allowEncodedNullCharacter: false, allowEncodedSemicolon: false, allowEncodedQuestionMark: false, allowEncodedHash: false,
      });
    }
  });

  it('clears nginx\'s X-Original-* before ForwardAuth, and every client routing header but the X-Forwarded-Host Traefik sets', () => {
    const cleared = dynamic.http.middlewares['authgear-gate-clear-original'].headers.customRequestHeaders;
    expect(Object.keys(cleared).map((name) => name.toLowerCase()).sort())
      .toEqual([...new Set(['x-original-host', 'x-original-method', ...ROUTING_HEADERS.filter((name) => name !== 'x-forwarded-host')])].sort());
    expect(Object.values(cleared).every((value) => value === '')).toBe(true);
  });
});
