import { startAuthgearStandIn, type AuthgearStandIn } from './authgear-stand-in.js';
import { startCaddy, startEchoUpstream, startGateProcess, startNginx, type ConfigEdit, type Spawned } from './processes.js';

type Gateway = Spawned & { url: string };

export interface GatewayStack {
  authgear: AuthgearStandIn;
  /** nginx running nginx/nginx.conf, Caddy running caddy/Caddyfile. */
  gateways: Record<'nginx' | 'caddy', Gateway>;
  /** Another real nginx in front of the same sidecar, running another shipped nginx/*.conf (maybe edited). */
  startNginx(config: string, edit?: ConfigEdit): Promise<Gateway>;
  /** Another real Caddy in front of the same sidecar, running caddy/Caddyfile as edited. */
  startCaddy(edit: ConfigEdit): Promise<Gateway>;
  stop(): Promise<void>;
}

/**
 * The chain as in production: the Authgear stand-in, the built sidecar (with these extra
 * settings), an echo app, and real nginx and Caddy running the shipped configs.
 */
export async function startGatewayStack(gateEnv: Record<string, string> = {}): Promise<GatewayStack> {
  const authgear = await startAuthgearStandIn();
  const app = await startEchoUpstream();
  const started: Array<{ stop(): Promise<unknown> }> = [];
  async function stop() {
    for (const process of started.reverse()) await process.stop();
    await app.close();
    await authgear.close();
  }
  try {
    const gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, ...gateEnv });
    started.push(gate);
    const nginxFor = async (config?: string, edit?: ConfigEdit) => {
      const nginx = await startNginx({ gatePort: gate.port, appPort: app.port, ...(config ? { config } : {}), ...(edit ? { edit } : {}) });
      started.push(nginx);
      return nginx;
    };
    const caddyFor = async (edit?: ConfigEdit) => {
      const caddy = await startCaddy({ gatePort: gate.port, appPort: app.port, ...(edit ? { edit } : {}) });
      started.push(caddy);
      return caddy;
    };
    const nginx = await nginxFor();
    const caddy = await caddyFor();
    return { authgear, gateways: { nginx, caddy }, startNginx: nginxFor, startCaddy: caddyFor, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What the echo app says it received. */
export const seenByApp = (body: string) => JSON.parse(body) as { url: string; headers: Record<string, string> };
