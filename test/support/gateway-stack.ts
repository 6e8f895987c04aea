import { startAuthgearStandIn, type AuthgearStandIn } from './authgear-stand-in.js';
import { freePort, startCaddy, startEchoUpstream, startGateProcess, startNginx, type ConfigEdit, type Spawned } from './processes.js';

type Gateway = Spawned & { url: string };

export interface GatewayStack {
  authgear: AuthgearStandIn;
  /** The built sidecar. */
  gate: Spawned & { port: number; url: string };
  /** The real gateways started with the stack: nginx (nginx/nginx.conf, or the config asked for) and Caddy (caddy/Caddyfile). */
  gateways: Record<'nginx' | 'caddy', Gateway>;
  /** Another real nginx in front of the same sidecar, running another shipped nginx/*.conf or a fixture (maybe edited). */
  startNginx(config: string, edit?: ConfigEdit): Promise<Gateway>;
  /** Another real Caddy in front of the same sidecar, running caddy/Caddyfile as edited. */
  startCaddy(edit: ConfigEdit): Promise<Gateway>;
  stop(): Promise<void>;
}

export interface GatewayStackOptions {
  /** The config the stack's nginx runs: a file of nginx/ or an absolute path (a fixture of what another product generates). */
  nginx?: string;
  /** Whether to start Caddy too (default: yes). */
  caddy?: boolean;
  /**
   * What the gateways ask: PORT (/auth, nginx auth_request and ForwardAuth) or the
   * EXT_AUTHZ_PORT the stack opens (a Gateway API ExternalAuth implementation built on nginx).
   */
  asks?: 'auth' | 'ext-authz';
}

/**
 * The chain as in production: the Authgear stand-in, the built sidecar (with these extra
 * settings), an echo app, and real nginx and Caddy running the shipped configs.
 */
export async function startGatewayStack(gateEnv: Record<string, string> = {}, options: GatewayStackOptions = {}): Promise<GatewayStack> {
  const authgear = await startAuthgearStandIn();
  const app = await startEchoUpstream();
  const started: Array<{ stop(): Promise<unknown> }> = [];
  async function stop() {
    for (const process of started.reverse()) await process.stop();
    await app.close();
    await authgear.close();
  }
  try {
    const extAuthzPort = options.asks === 'ext-authz' ? await freePort() : undefined;
    const gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, ...(extAuthzPort ? { EXT_AUTHZ_PORT: String(extAuthzPort) } : {}), ...gateEnv });
    started.push(gate);
    const gatePort = extAuthzPort ?? gate.port;
    const nginxFor = async (config?: string, edit?: ConfigEdit) => {
      const nginx = await startNginx({ gatePort, appPort: app.port, ...(config ? { config } : {}), ...(edit ? { edit } : {}) });
      started.push(nginx);
      return nginx;
    };
    const caddyFor = async (edit?: ConfigEdit) => {
      const caddy = await startCaddy({ gatePort, appPort: app.port, ...(edit ? { edit } : {}) });
      started.push(caddy);
      return caddy;
    };
    const nginx = await nginxFor(options.nginx);
    const caddy = options.caddy === false ? undefined : await caddyFor();
    const gateways = { nginx, get caddy(): Gateway { if (!caddy) throw new Error('this stack has no Caddy'); return caddy; } };
    return { authgear, gate, gateways, startNginx: nginxFor, startCaddy: caddyFor, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What the echo app says it received. */
export const seenByApp = (body: string) => JSON.parse(body) as { url: string; headers: Record<string, string> };
