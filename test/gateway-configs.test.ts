import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { IDENTITY_HEADER_NAMES } from '../src/decision/identity/identity.js';
import { kustomize, OVERLAYS } from './support/kubernetes/render.js';
import { configFiles, nginxAuthRequestSets, nginxLocations, nginxProxySetHeaders } from './support/nginx-config.js';
import { REPO } from './support/processes.js';
import { loadStrictSchema } from './support/strict-schema.js';

const PREFIX = 'x-authgear-';
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const lower = (names: Iterable<string>) => [...new Set([...names].map((name) => name.toLowerCase()))].sort();
const EVERY_HEADER = lower(IDENTITY_HEADER_NAMES);

/**
 * Every place in a YAML object tree that names headers for the app: ForwardAuth, header
 * clearing, ingress-nginx annotations, Envoy Gateway's headersToBackend, the ExternalAuth
 * filter's allowedResponseHeaders.
 */
function yamlHeaderLists(value: unknown, where: string, lists: Array<{ where: string; headers: string[] }>) {
  if (Array.isArray(value)) value.forEach((item, index) => yamlHeaderLists(item, `${where}[${index}]`, lists));
  if (value === null || typeof value !== 'object') return lists;
  for (const [key, item] of Object.entries(value)) {
    if (key === 'authResponseHeaders' || key === 'headersToBackend' || key === 'allowedResponseHeaders') lists.push({ where: `${where}.${key}`, headers: item as string[] });
    else if (key === 'customRequestHeaders' && Object.keys(item as object).some((name) => name.toLowerCase().startsWith(PREFIX))) {
      lists.push({ where: `${where}.${key}`, headers: Object.keys(item as object) });
    } else if (key === 'nginx.ingress.kubernetes.io/auth-response-headers') lists.push({ where, headers: String(item).split(',') });
    else yamlHeaderLists(item, `${where}.${key}`, lists);
  }
  return lists;
}

describe('every shipped gateway config names every identity header (src/identity.ts)', () => {
  const nginx = configFiles('nginx', /\.conf$/).filter((file) => nginxProxySetHeaders(file.text, PREFIX).length > 0);
  const caddy = [...read('caddy/Caddyfile').matchAll(/^\s*copy_headers\s+(.+)$/gm)].map((match) => match[1]!.split(/\s+/));
  const yaml = [
    ...configFiles('traefik', /\.ya?ml$/).flatMap((file) => parseAllDocuments(file.text).flatMap((document, index) => yamlHeaderLists(document.toJS(), `${file.path}#${index}`, []))),
    ...OVERLAYS.flatMap((overlay) => yamlHeaderLists(kustomize(`deploy/overlays/${overlay}`), overlay, [])),
  ];

  it('finds the lists in nginx, Caddy, Traefik (file and CRD) and ingress-nginx configs', () => {
    expect(nginx.map((file) => file.path)).toEqual(expect.arrayContaining(['nginx/authgear-gate/protect.conf', 'nginx/authgear-gate/public.conf']));
    expect(caddy.length).toBeGreaterThan(0);
    expect(yaml.map((list) => list.where).join('\n')).toMatch(/dynamic\.yml[^]*middleware\.yaml[^]*ingress-nginx[^]*traefik/);
    expect(yaml.map((list) => list.where).join('\n')).toMatch(/envoy-gateway.*headersToBackend[^]*gateway-api.*allowedResponseHeaders/);
  });

  it.each(nginx.map((file) => [file.path, file.text]))('%s sets them all on the proxied request', (_path, text) => {
    expect(lower(nginxProxySetHeaders(text, PREFIX))).toEqual(EVERY_HEADER);
    const copied = nginxAuthRequestSets(text, PREFIX);
    if (copied.length > 0) expect(lower(copied)).toEqual(EVERY_HEADER);
  });

  it('Caddy copies them all, after removing every client-sent X-Authgear-* and X-Original-*', () => {
    for (const headers of caddy) expect(lower(headers)).toEqual(EVERY_HEADER);
    const caddyfile = read('caddy/Caddyfile');
    // The first check inside the site's route: a forward_auth, or the snippet that holds one.
    const route = caddyfile.indexOf('route {');
    const forwardAuth = route + caddyfile.slice(route).search(/^\s*(forward_auth|import authgear_gate)\s/m);
    expect(forwardAuth).toBeGreaterThan(route);
    for (const strip of [/^\s*request_header -X-Authgear-\*$/m, /^\s*request_header -X-Original-\*$/m]) {
      expect(caddyfile.search(strip), String(strip)).toBeGreaterThan(0);
      expect(caddyfile.search(strip), String(strip)).toBeLessThan(forwardAuth);
    }
  });

  it('Traefik, ingress-nginx, Envoy Gateway and the ExternalAuth filter list them all wherever they list any', () => {
    for (const list of yaml) expect(lower(list.headers), list.where).toEqual(EVERY_HEADER);
  });

  it.each(configFiles('nginx', /\.conf$/).map((file) => [file.path, file.text]))('%s: every proxied location takes identity from the sidecar or clears it', (_path, text) => {
    for (const location of nginxLocations(text)) {
      if (!/\b(proxy_pass|try_files|root|alias)\b/.test(location.body) || /proxy_pass\s+http:\/\/authgear_gate\b/.test(location.body)) continue;
      expect(location.body, `location ${location.match}`).toMatch(/include\s+authgear-gate\/(protect|public)\.conf;/);
    }
  });
});

describe('Traefik file-provider configuration', () => {
  const staticConfig = loadStrictSchema('traefik-static.yaml');
  const dynamicConfig = loadStrictSchema('traefik-dynamic.yaml');
  const dynamic = parse(read('traefik/dynamic.yml'));

  it('traefik.yml and dynamic.yml match their schemas, which reject typos', () => {
    expect(staticConfig(parse(read('traefik/traefik.yml')))).toEqual([]);
    expect(dynamicConfig(dynamic)).toEqual([]);
    const typo = structuredClone(dynamic);
    typo.http.middlewares['authgear-gate'].forwardAuth.authResponseHeader = [];
    expect(dynamicConfig(typo).join()).toMatch(/unknown field "authResponseHeader"/);
    expect(staticConfig({ entryPoints: { web: { adress: ':80' } } }).join()).toMatch(/unknown field "adress"|required property 'address'/);
  });

  it('points at the sidecar, and clears X-Original-* right before every ForwardAuth', () => {
    const middlewares = dynamic.http.middlewares as Record<string, { forwardAuth?: { address: string } }>;
    const forwardAuth = Object.keys(middlewares).filter((name) => middlewares[name]!.forwardAuth);
    expect(forwardAuth.map((name) => middlewares[name]!.forwardAuth!.address)).toEqual([
      'http://127.0.0.1:8080/auth', 'http://127.0.0.1:8080/auth?max_age=300', 'http://127.0.0.1:8080/auth?roles=admin',
    ]);
    const routers = Object.entries(dynamic.http.routers as Record<string, { middlewares: string[]; service: string }>);
    for (const [name, router] of routers) {
      for (const middleware of router.middlewares) expect(middlewares, name).toHaveProperty([middleware]);
      expect(dynamic.http.services, name).toHaveProperty([router.service]);
      const checks = router.middlewares.findIndex((middleware) => forwardAuth.includes(middleware));
      if (checks === -1) expect(router.middlewares, name).toContain('authgear-gate-public');
      else expect(router.middlewares[checks - 1], name).toBe('authgear-gate-clear-original');
    }
    expect(Object.keys(dynamic.http.middlewares['authgear-gate-clear-original'].headers.customRequestHeaders).sort())
      .toEqual(['X-Original-Host', 'X-Original-Method', 'X-Original-URI', 'X-Original-URL']);
  });
});
