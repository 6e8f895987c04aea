import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from './support/authgear-stand-in.js';
import { checkDockerfile, execForm, finalStage } from './support/dockerfile-rules.js';
import { assembleImageArtifact } from './support/image-artifact.js';
import { freePort, httpGet, REPO, spawnProcess, type Spawned } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');

/** The shipped Dockerfile with one piece changed; fails loudly if that piece is gone. */
function mutated(from: string | RegExp, to: string): string {
  const changed = dockerfile.replace(from, to);
  if (changed === dockerfile) throw new Error(`mutation ${String(from)} does not apply`);
  return changed;
}

describe('Dockerfile', () => {
  it('passes the dockerfile-utils linter, which does catch mistakes', () => {
    expect(validate(dockerfile)).toEqual([]);
    const broken = validate(mutated('EXPOSE 8080', 'EXPOSE http\nCMD node dist/server.js'));
    expect(broken.map((diagnostic) => diagnostic.message).join('\n')).toMatch(/Invalid containerPort|only be one CMD/);
  });

  it('is multi-stage, slim, non-root, exec-form, health-checked and production-only', () => {
    expect(checkDockerfile(dockerfile)).toEqual([]);
  });

  it.each([
    ['single stage', () => dockerfile.replace(/^FROM \$\{NODE_IMAGE\} AS (build|prod-deps)$/gm, '# FROM removed'), /not multi-stage/],
    ['full image', () => mutated('node:20-bookworm-slim', 'node:20-bookworm'), /neither slim nor distroless/],
    ['no USER', () => mutated(/^USER .*$/m, ''), /no USER/],
    ['USER root', () => mutated(/^USER .*$/m, 'USER root'), /not a numeric non-root uid/],
    ['USER by name', () => mutated(/^USER .*$/m, 'USER node'), /not a numeric non-root uid/],
    ['shell-form CMD', () => mutated('CMD ["node", "dist/server.js"]', 'CMD node dist/server.js'), /shell form/],
    ['another CMD', () => mutated('CMD ["node", "dist/server.js"]', 'CMD ["npm", "start"]'), /not node dist\/server.js/],
    ['ENTRYPOINT wrapper', () => mutated(/^CMD \[/m, 'ENTRYPOINT ["sh", "-c"]\nCMD ['), /ENTRYPOINT/],
    ['no HEALTHCHECK', () => mutated(/^HEALTHCHECK[^]*?\n(?=# Exec)/m, ''), /HEALTHCHECK is missing/],
    ['dev dependencies', () => mutated('npm ci --omit=dev', 'npm ci'), /--omit=dev/],
    ['context copied in', () => mutated('COPY package.json ./', 'COPY . ./'), /build context/],
    ['npm left in', () => mutated(/^RUN rm -rf[^]*?yarn-\*\n/m, ''), /npm is left/],
  ])('rejects a Dockerfile with %s', (_name, variant, problem) => {
    expect(checkDockerfile(variant()).join('\n')).toMatch(problem);
  });

  it('keeps the build context to what the build stage copies', () => {
    const ignore = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
    expect(ignore[0]).toBe('*');
    expect(ignore.slice(1).sort()).toEqual(['!package-lock.json', '!package.json', '!src/', '!tsconfig.build.json', '!tsconfig.json']);
  });
});

describe('the image artifact, run as its CMD would', () => {
  let authgear: AuthgearStandIn;
  let app: string;
  let gate: Spawned;
  let port: number;
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const imageEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' };
  const healthcheck = execForm(finalStage(dockerfile).instructions.find((instruction) => instruction.getKeyword() === 'HEALTHCHECK')!)!;
  const runHealthcheck = (onPort: number) =>
    spawnSync(process.execPath, healthcheck.slice(1), { env: { ...imageEnv, PORT: String(onPort) }, timeout: 10_000, ...asNobody }).status;

  beforeAll(async () => {
    authgear = await startAuthgearStandIn();
    app = assembleImageArtifact(dockerfile);
    port = await freePort();
    const env = { ...imageEnv, AUTHGEAR_ENDPOINT: authgear.origin, PORT: String(port), LISTEN_HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    const [command, ...args] = execForm(finalStage(dockerfile).instructions.find((instruction) => instruction.getKeyword() === 'CMD')!)!;
    expect(command).toBe('node');
    gate = spawnProcess(process.execPath, args, {}, { cwd: app, env, ...asNobody });
    await waitFor(async () => {
      if (gate.process.exitCode !== null) throw new Error(`gate exited: ${gate.output()}`);
      return (await httpGet(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
    }, 20_000, 'the image artifact to be ready');
  }, 240_000);
  afterAll(async () => {
    await gate?.stop();
    await authgear?.close();
    if (app) {
      execFileSync('chmod', ['-R', 'u+w', app]);
      rmSync(app, { recursive: true, force: true });
    }
  });

  it('holds the build output and exactly the production dependencies', () => {
    const packageJson = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const installed = readdirSync(join(app, 'node_modules')).flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(app, 'node_modules', name)).map((scoped) => `${name}/${scoped}`) : [name]);
    for (const name of Object.keys(packageJson.dependencies!)) expect(installed).toContain(name);
    for (const name of Object.keys(packageJson.devDependencies!)) expect(installed).not.toContain(name);
    expect(existsSync(join(app, 'dist/server.js'))).toBe(true);
    expect(existsSync(join(app, 'src'))).toBe(false);
  });

  it('serves /healthz and /readyz from a read-only directory as an unprivileged user', async () => {
    expect((await httpGet(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await httpGet(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  });

  it("passes the image's own HEALTHCHECK command, which fails when nothing answers", async () => {
    expect(runHealthcheck(port)).toBe(0);
    expect(runHealthcheck(await freePort())).toBe(1);
  });

  it('receives SIGTERM itself and exits cleanly', async () => {
    expect(await gate.stop('SIGTERM')).toBe(0);
  });
});
