import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../../test/support/processes.js';
import { startListening, type PeerOptions, type RunningPeer } from './peer-process.js';

export type ApacheModule = 'oauth2' | 'openidc';

export interface RunningApache extends RunningPeer {
  /** The same server, whose /open/ has no authentication: mod_proxy's hop alone. */
  openUrl: string;
}

const MODULES = '/usr/lib/apache2/modules';

/** mod_oauth2's cache of verified tokens: its default size, stated (a fresh-token row needs more tokens than this). */
export const MOD_OAUTH2_CACHED_TOKENS = 1000;

/**
 * mod_oauth2 3.3 (liboauth2 1.4.5): keys from the JWKS URI, exp required. It has no setting
 * for iss or aud in this version and no algorithm allow-list, so iss and aud are Require
 * rules on the claims. Verified tokens are cached 300 s (its default). The JWKS gets a cache
 * of its own: in the one shared cache of the defaults, a stream of new tokens evicts it and
 * mod_oauth2 fetched it again about once every ten requests.
 */
const oauth2 = (options: PeerOptions) => ({
  load: `LoadModule oauth2_module ${MODULES}/mod_oauth2.so`,
  server: `OAuth2Cache shm name=tokens&max_entries=${MOD_OAUTH2_CACHED_TOKENS}
OAuth2Cache shm name=jwks&max_entries=16`,
  location: `AuthType oauth2
    OAuth2TokenVerify jwks_uri ${options.jwksUri} verify.exp=required&verify.iat=required&verify.cache=tokens&jwks_uri.cache=jwks
    <RequireAll>
        Require oauth2_claim iss:${options.issuer}
        Require oauth2_claim aud:${options.issuer}
    </RequireAll>`,
});

/**
 * mod_auth_openidc 2.4 as an OAuth 2.0 resource server: it fetches JWKS over https only, so
 * the key is a file (kid#path). No cache for JWTs verified locally, no setting for exp, iss,
 * aud or the algorithm: iss and aud are Require rules on the claims.
 */
const openidc = (options: PeerOptions, keyFile: string) => ({
  load: `LoadModule auth_openidc_module ${MODULES}/mod_auth_openidc.so`,
  server: `OIDCCryptoPassphrase ${randomBytes(16).toString('hex')}
OIDCOAuthVerifyCertFiles ${options.kid}#${keyFile}`,
  location: `AuthType oauth20
    <RequireAll>
        Require claim iss:${options.issuer}
        Require claim aud:${options.issuer}
    </RequireAll>`,
});

interface ApacheConfigOptions {
  dir: string;
  port: number;
  appPort: number;
  module: { load: string; server: string; location: string };
}

/**
 * A whole Apache config of our own (the system's /etc/apache2 is never read): the event MPM,
 * keep-alive as long as nginx's (1,000 requests), no access log, the protected /api/ and an
 * open /open/ proxied to the app over mod_proxy's reused connections. Threads: with Debian's
 * 25 per child, the 32 connections of a run landing mostly on one child left it without an
 * idle worker, and it closed kept-alive connections under wrk (read errors); 64 per child
 * (Debian's ThreadLimit) lets either child serve them all, and none is ever stopped as spare.
 */
export function apacheConfig(options: ApacheConfigOptions): string {
  const app = `http://127.0.0.1:${options.appPort}`;
  // As root, the children drop to www-data as Debian's config has them; the parent reads
  // the config and key files first.
  const user = process.getuid?.() === 0 ? 'User www-data\nGroup www-data\n' : '';
  return `ServerRoot ${options.dir}
ServerName 127.0.0.1
Listen 127.0.0.1:${options.port}
PidFile ${join(options.dir, 'httpd.pid')}
DefaultRuntimeDir ${options.dir}
ErrorLog ${join(options.dir, 'error.log')}
LogLevel warn
${user}LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authn_core_module ${MODULES}/mod_authn_core.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule proxy_module ${MODULES}/mod_proxy.so
LoadModule proxy_http_module ${MODULES}/mod_proxy_http.so
${options.module.load}
StartServers 2
MinSpareThreads 25
MaxSpareThreads 128
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 128
MaxConnectionsPerChild 0
MaxKeepAliveRequests 1000
${options.module.server}
ProxyPass /api/ ${app}/api/
ProxyPass /open/ ${app}/open/
<Location /api/>
    ${options.module.location}
</Location>
`;
}

/** Apache with one of the two modules, its config in a temp dir, in the foreground. */
export async function startApache(module: ApacheModule, options: PeerOptions): Promise<RunningApache> {
  const dir = tempDir(`apache-${module}`);
  const keyFile = join(dir, 'authgear-key.pem');
  writeFileSync(keyFile, options.publicKeyPem);
  const port = await freePort();
  const config = join(dir, 'apache2.conf');
  writeFileSync(config, apacheConfig({ dir, port, appPort: options.appPort, module: module === 'oauth2' ? oauth2(options) : openidc(options, keyFile) }));
  const apache = await startListening(`apache2 (mod_${module === 'oauth2' ? 'oauth2' : 'auth_openidc'})`, 'apache2', ['-f', config, '-DFOREGROUND'], [port]);
  const url = `http://127.0.0.1:${port}`;
  return { url, openUrl: url, pid: apache.process.pid!, stop: () => apache.stop() };
}
