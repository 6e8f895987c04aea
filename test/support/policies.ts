import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './processes.js';

/** Writes a POLICY_FILE for a sidecar under test; returns its path. */
export function writePolicy(yaml: string, name = 'policy.yaml'): string {
  const file = join(tempDir('policy'), name);
  writeFileSync(file, yaml);
  return file;
}

/**
 * One rule of each kind, asked the same way through every gateway protocol: /auth in process
 * (policy-rules), Envoy's ext_authz (ext-authz-policies), so each protocol is held to the
 * same decisions. Order matters: the first match wins.
 */
export const ROUTE_RULES = `
rules:
  - name: health
    match: { path_prefix: /healthz }
    access: public
  - name: closed
    match: { path_prefix: /closed/ }
    access: deny
  - name: admin
    match: { path_prefix: /admin/ }
    roles: [admin, owner]
  - name: reports
    match: { path_regex: "^/(admin/)?reports(/|$)" }
    access: public
  - name: billing
    match: { path_prefix: /billing/ }
    roles: { all_of: [finance, approver] }
  - name: verified
    match: { path_prefix: /verified/ }
    require_verified: true
  - name: members
    match: { path_prefix: /members/ }
    deny_anonymous: true
  - name: internal host
    match: { hosts: [internal.example.test] }
    access: deny
  - name: public subdomains
    match: { hosts: ["*.public.example.test"] }
    access: public
  - name: api deletes
    match: { path_prefix: /api/, methods: [DELETE] }
    roles: [admin]
  - name: api
    match: { path_prefix: /api/ }
    allow_cors_preflight: true
  - name: fresh
    match: { path_prefix: /fresh/ }
    max_auth_age: 300
`;
