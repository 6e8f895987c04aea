import { startAuthgearStandIn, type AuthgearStandIn } from './authgear-stand-in.js';
import { startCaddy, startEchoUpstream, startGateProcess, startNginx, type Spawned } from './processes.js';

export interface GatewayStack {
  authgear: AuthgearStandIn;
  gateways: Record<'nginx' | 'caddy', Spawned & { url: string }>;
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
  try {
    const gate = await startGateProcess({ AUTHGEAR_ENDPOINT: authgear.origin, ...gateEnv });
    started.push(gate);
    const nginx = await startNginx({ gatePort: gate.port, appPort: app.port });
    started.push(nginx);
    const caddy = await startCaddy({ gatePort: gate.port, appPort: app.port });
    started.push(caddy);
    return {
      authgear,
      gateways: { nginx, caddy },
      async stop() {
        for (const process of started.reverse()) await process.stop();
        await app.close();
        await authgear.close();
      },
    };
  } catch (error) {
    for (const process of started.reverse()) await process.stop();
    await app.close();
    await authgear.close();
    throw error;
  }
}

/** What the echo app says it received. */
export const seenByApp = (body: string) => JSON.parse(body) as { url: string; headers: Record<string, string> };
