import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../../test/support/processes.js';
import { startListening, type PeerOptions, type RunningPeer } from './peer-process.js';

export interface RunningHaproxy extends RunningPeer {
  /** The same process's second frontend: the proxy hop alone, no verification. */
  openUrl: string;
}

interface HaproxyConfigOptions extends Pick<PeerOptions, 'appPort' | 'issuer'> {
  verifiedPort: number;
  openPort: number;
  keyFile: string;
}

/**
 * HAProxy 2.6 checking an Authgear access token itself, as a careful operator writes it:
 * RS256 only, the signature against the project's key (a PEM: jwt_verify takes no JWKS),
 * iss, aud and exp. jwt_verify has no cache: every request is verified. The verified user id
 * goes to the app in a header the client cannot set (set-header replaces its copy).
 */
export function haproxyConfig(options: HaproxyConfigOptions): string {
  const { issuer } = options;
  // HAProxy's own defaults otherwise: one thread per core, keep-alive both ways.
  return `defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s

frontend verified
    bind 127.0.0.1:${options.verifiedPort}
    http-request set-var(txn.bearer) http_auth_bearer
    http-request set-var(txn.now) date()
    acl rs256 var(txn.bearer),jwt_header_query('$.alg') -m str RS256
    acl signed var(txn.bearer),jwt_verify("RS256","${options.keyFile}") -m int 1
    acl issuer var(txn.bearer),jwt_payload_query('$.iss') -m str "${issuer}"
    # Authgear's aud is an array (jwt_payload_query reads no whole array), RFC 7519 allows a string.
    acl audience var(txn.bearer),jwt_payload_query('$.aud[0]') -m str "${issuer}"
    acl audience var(txn.bearer),jwt_payload_query('$.aud') -m str "${issuer}"
    # A token without exp leaves txn.ttl unset, and fails like an expired one.
    http-request set-var(txn.ttl) var(txn.bearer),jwt_payload_query('$.exp','int'),sub(txn.now)
    acl unexpired var(txn.ttl) -m int gt 0
    http-request return status 401 hdr WWW-Authenticate Bearer unless rs256 signed issuer audience unexpired
    http-request set-header X-Authgear-User-Id %[var(txn.bearer),jwt_payload_query('$.sub')]
    default_backend app

frontend open
    bind 127.0.0.1:${options.openPort}
    default_backend app

backend app
    server app 127.0.0.1:${options.appPort}
`;
}

/** HAProxy with its own config in a temp dir (never /etc/haproxy), in the foreground. */
export async function startHaproxy(options: PeerOptions): Promise<RunningHaproxy> {
  const dir = tempDir('haproxy');
  const keyFile = join(dir, 'authgear-key.pem');
  writeFileSync(keyFile, options.publicKeyPem);
  const verifiedPort = await freePort();
  const openPort = await freePort();
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig({ ...options, verifiedPort, openPort, keyFile }));
  // -db: foreground, no daemon, no master process: one process holds every thread.
  const haproxy = await startListening('haproxy', 'haproxy', ['-f', config, '-db'], [verifiedPort, openPort]);
  return {
    url: `http://127.0.0.1:${verifiedPort}`,
    openUrl: `http://127.0.0.1:${openPort}`,
    pid: haproxy.process.pid!,
    stop: () => haproxy.stop(),
  };
}
