import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { IDENTITY_HEADER_NAMES } from '../../src/decision/identity/identity.js';
import { kustomize, OVERLAYS } from '../support/kubernetes/render.js';
import { configFiles, nginxAuthRequestSets, nginxLocations, nginxProxySetHeaders } from '../support/nginx-config.js';
import { REPO } from '../support/processes.js';

const PREFIX = 'x-authgear-';
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const lower = (names: Iterable<string>) => [...new Set([...names].map((name) => name.toLowerCase()))].sort();
const EVERY_HEADER = lower(IDENTITY_HEADER_NAMES);
const ID_TOKEN_HEADER = loadConfig({ AUTHGEAR_ENDPOINT: 'https://a.example' }).idTokenHeader;

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
  const caddyfile = read('caddy/Caddyfile');
  const caddy = [...caddyfile.matchAll(/^\s*copy_headers\s+(.+)$/gm)].map((match) => match[1]!.split(/\s+/));
  const yaml = [
    ...configFiles('traefik', /\.ya?ml$/).flatMap((file) => parseAllDocuments(file.text).flatMap((document, index) => yamlHeaderLists(document.toJS(), `${file.path}#${index}`, []))),
    ...OVERLAYS.flatMap((overlay) => yamlHeaderLists(kustomize(`deploy/overlays/${overlay}`), overlay, [])),
  ];

  it('finds the lists in nginx, Caddy and ingress-nginx configs (Traefik matches a regex instead)', () => {
    expect(nginx.map((file) => file.path)).toEqual(['nginx/authgear-gate/protect.conf']);
    expect(read('nginx/authgear-gate/public.conf')).toMatch(/^include authgear-gate\/protect\.conf;$/m);
    expect(caddy.length).toBeGreaterThan(0);
    expect(yaml.length).toBeGreaterThan(0);
    expect(yaml.map((list) => list.where).join('\n')).toMatch(/envoy-gateway.*headersToBackend[^]*gateway-api.*allowedResponseHeaders/);
    expect(yaml.every((list) => /^(ingress-nginx|envoy-gateway|gateway-api)/.test(list.where)), yaml.map((list) => list.where).join()).toBe(true);
  });

  it.each(nginx.map((file) => [file.path, file.text]))('%s sets them all on the proxied request, and clears the ID token header', (_path, text) => {
    expect(lower(nginxProxySetHeaders(text, PREFIX))).toEqual(lower([...EVERY_HEADER, ID_TOKEN_HEADER]));
    expect(text).toMatch(new RegExp(`^proxy_set_header\\s+${ID_TOKEN_HEADER}\\s+"";`, 'im'));
    // Every header it sets is first read from the answer (auth_request_set), in the same file.
    expect(lower(nginxAuthRequestSets(text, PREFIX))).toEqual(EVERY_HEADER);
  });

  it('Caddy copies them all, after removing every client-sent X-Authgear-* and X-Original-*', () => {
    for (const headers of caddy) expect(lower(headers)).toEqual(EVERY_HEADER);
    // The first check inside the site's route: a forward_auth, or the snippet that holds one.
    const route = caddyfile.indexOf('route {');
    const forwardAuth = route + caddyfile.slice(route).search(/^\s*(forward_auth|import authgear_gate)\s/m);
    expect(forwardAuth).toBeGreaterThan(route);
    for (const strip of [/^\s*request_header -X-Authgear-\*$/m, /^\s*request_header -X-Original-\*$/m]) {
      expect(caddyfile.search(strip), String(strip)).toBeGreaterThan(0);
      expect(caddyfile.search(strip), String(strip)).toBeLessThan(forwardAuth);
    }
  });

  it('Caddy drops the placeholder text of every header it copies, after every check', () => {
    const drops = [...caddyfile.matchAll(/^\s*import authgear_drop_absent (\S+)$/gm)];
    expect(lower(drops.map((match) => match[1]!))).toEqual(EVERY_HEADER);
    const lastCheck = Math.max(...[...caddyfile.matchAll(/^\s*import authgear_gate /gm)].map((match) => match.index));
    const proxy = caddyfile.search(/^\s*reverse_proxy 127\.0\.0\.1:3000$/m);
    for (const drop of drops) expect(drop.index).toBeGreaterThan(lastCheck);
    expect(proxy).toBeGreaterThan(Math.max(...drops.map((drop) => drop.index)));
  });

  it('ingress-nginx, Envoy Gateway and the ExternalAuth filter list them all wherever they list any', () => {
    for (const list of yaml) {
      // ingress-nginx also lists the ID token header: absent from the answer, so removed.
      const expected = list.where.startsWith('ingress-nginx') ? [...EVERY_HEADER, ID_TOKEN_HEADER] : EVERY_HEADER;
      expect(lower(list.headers).sort(), list.where).toEqual(lower(expected).sort());
    }
  });

  it('Caddy sends every route through the sidecar: one proxy to the app, after the checks, and no handle that skips them', () => {
    expect([...caddyfile.matchAll(/^\s*reverse_proxy\s/gm)]).toHaveLength(1);
    expect(caddyfile).not.toMatch(/^\s*handle(_path)?\s/m);
    const checked = [...caddyfile.matchAll(/^\s*import authgear_gate (@\S+) (\S+)$/gm)].map((match) => [match[1], match[2]]);
    expect(checked).toEqual([
      ['@public', '/auth?access=public'], ['@admin', '/auth?roles=admin'], ['@sensitive', '/auth?max_age=300'],
      ['@inventory', '/auth?resource=https://api.example.com/inventory&scopes=read:inventory&principals=any'], ['@signed_in', '/auth?'],
    ]);
  });

  it('Caddy keeps the ID token aside for the sidecar only', () => {
    const keep = caddyfile.search(/^\s*vars authgear_id_token \{http\.request\.header\.X-Authgear-Id-Token\}$/m);
    expect(keep).toBeGreaterThan(0);
    expect(keep).toBeLessThan(caddyfile.search(/^\s*request_header -X-Authgear-\*$/m));
    const forwardAuth = caddyfile.slice(caddyfile.indexOf('forward_auth '), caddyfile.indexOf('copy_headers'));
    expect(forwardAuth).toMatch(/^\s*header_up X-Authgear-Id-Token \{http\.vars\.authgear_id_token\}$/m);
  });

  it.each(configFiles('nginx', /\.conf$/).map((file) => [file.path, file.text]))('%s: every proxied location asks the sidecar, public ones too', (_path, text) => {
    for (const location of nginxLocations(text)) {
      if (!/\b(proxy_pass|try_files|root|alias)\b/.test(location.body) || /proxy_pass\s+http:\/\/authgear_gate\b/.test(location.body)) continue;
      expect(location.body, `location ${location.match}`).toMatch(/include\s+authgear-gate\/(protect|public)\.conf;/);
    }
  });

  it.each(configFiles('nginx', /(^|\/)[a-z-]+\.conf$/).filter((file) => /\bhttp\s*\{/.test(file.text)).map((file) => [file.path, file.text]))(
    '%s drops headers named like X_Authgear_User_Id (nginx defaults, stated)',
    (_path, text) => {
      expect(text).toMatch(/^\s*underscores_in_headers off;$/m);
      expect(text).toMatch(/^\s*ignore_invalid_headers on;$/m);
    },
  );
});
