import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthgearStandIn, type AuthgearStandIn } from '../support/authgear-stand-in.js';
import { checkDockerfile, execForm, finalStage, readStages, type ProjectFacts } from '../support/dockerfile-rules.js';
import { assembleImageArtifact } from '../support/image-artifact.js';
import { freePort, httpGet, REPO, SHIPPED_NODE_FLAGS, spawnProcess, type Spawned } from '../support/processes.js';
import { valueOf } from '../support/prometheus.js';
import { waitFor } from '../support/wait-for.js';

const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const packageJson = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; license: string; engines: { node: string } };
const project: ProjectFacts = { nodeRange: packageJson.engines.node, license: packageJson.license };

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
    expect(checkDockerfile(dockerfile, project)).toEqual([]);
  });

  it("builds and runs every stage on engines' Node major, labelled for OCI registries", () => {
    const major = /\d+/.exec(project.nodeRange)![0];
    expect(readStages(dockerfile).map((stage) => stage.image)).toEqual([`node:${major}-trixie-slim`, `node:${major}-trixie-slim`, `node:${major}-trixie-slim`]);
  });

  it.each([
    ['single stage', () => dockerfile.replace(/^FROM (--platform=\S+ )?\$\{NODE_IMAGE\} AS (build|prod-deps)$/gm, '# FROM removed'), /not multi-stage/],
    ['full image', () => mutated('node:26-trixie-slim', 'node:26-trixie'), /neither slim nor distroless/],
    ['an older Node', () => mutated('node:26-trixie-slim', 'node:24-trixie-slim'), /stage runtime is node:24-trixie-slim, not the Node 26 that engines/],
    ['one stage on another Node', () => mutated('${NODE_IMAGE} AS build', 'node:20-bookworm-slim AS build'), /stage build is node:20-bookworm-slim/],
    ['no OCI labels', () => mutated(/^LABEL[^]*$/m, ''), /label org\.opencontainers\.image\.source is missing/],
    ['a hard-coded version label', () => mutated('image.version="${VERSION}"', 'image.version="0.1.0"'), /image\.version is not \$\{VERSION\}/],
    ['no VERSION default', () => mutated(/^ARG VERSION=.*$/m, 'ARG VERSION'), /declares no ARG VERSION with a default/],
    ['no REVISION arg', () => mutated(/^ARG REVISION=.*$/m, ''), /declares no ARG REVISION/],
    ['another license', () => mutated('licenses="Apache-2.0"', 'licenses="MIT"'), /licenses is not package\.json's license Apache-2\.0/],
    ['no USER', () => mutated(/^USER .*$/m, ''), /no USER/],
    ['USER root', () => mutated(/^USER .*$/m, 'USER root'), /not a numeric non-root uid/],
    ['USER by name', () => mutated(/^USER .*$/m, 'USER node'), /not a numeric non-root uid/],
    ['shell-form CMD', () => mutated(/^CMD \[.*$/m, 'CMD node dist/server.js'), /shell form/],
    ['another CMD', () => mutated(/^CMD \[.*$/m, 'CMD ["npm", "start"]'), /not node dist\/server.js/],
    ['a CMD running a script before the server', () => mutated(/^CMD \[.*$/m, 'CMD ["node", "--require", "./x.js", "dist/server.js"]'), /not node dist\/server.js/],
    ['ENTRYPOINT wrapper', () => mutated(/^CMD \[/m, 'ENTRYPOINT ["sh", "-c"]\nCMD ['), /ENTRYPOINT/],
    ['no HEALTHCHECK', () => mutated(/^HEALTHCHECK[^]*?\n(?=# Exec)/m, ''), /HEALTHCHECK is missing/],
    ['dev dependencies', () => mutated('npm ci --omit=dev', 'npm ci'), /--omit=dev/],
    ['context copied in', () => mutated('COPY package.json ./', 'COPY . ./'), /build context/],
    ['npm left in', () => mutated(/^RUN rm -rf[^]*?yarn-\*\n/m, ''), /npm is left/],
  ])('rejects a Dockerfile with %s', (_name, variant, problem) => {
    expect(checkDockerfile(variant(), project).join('\n')).toMatch(problem);
  });

  it('runs node with the same V8 flags in npm start as in its CMD (the flags tests and the bench use)', () => {
    const start = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start']!;
    expect(start).toContain(`node ${SHIPPED_NODE_FLAGS.join(' ')} dist/server.js`);
    expect(SHIPPED_NODE_FLAGS).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=30']);
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

  it("runs here on the image's Node major, so what passes here is what the image runs", () => {
    expect(`node:${process.versions.node.split('.')[0]}-trixie-slim`).toBe(finalStage(dockerfile).image);
  });

  it('holds the build output and exactly the production dependencies', () => {
    const installed = readdirSync(join(app, 'node_modules')).flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(app, 'node_modules', name)).map((scoped) => `${name}/${scoped}`) : [name]);
    const { dependencies, devDependencies } = packageJson as unknown as Record<string, Record<string, string>>;
    for (const name of Object.keys(dependencies!)) expect(installed).toContain(name);
    for (const name of Object.keys(devDependencies!)) expect(installed).not.toContain(name);
    expect(existsSync(join(app, 'dist/server.js'))).toBe(true);
    expect(existsSync(join(app, 'src'))).toBe(false);
  });

  it('serves /healthz and /readyz from a read-only directory as an unprivileged user', async () => {
    expect((await httpGet(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await httpGet(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  });

  it("reports package.json's version in authgear_gate_build_info, read from the image's own layout", async () => {
    const metrics = await httpGet(`http://127.0.0.1:${port}/metrics`);
    expect(valueOf(metrics.body, 'authgear_gate_build_info', { version: packageJson.version, node_version: process.version })).toBe(1);
  });

  it("passes the image's own HEALTHCHECK command, which fails when nothing answers", async () => {
    expect(runHealthcheck(port)).toBe(0);
    expect(runHealthcheck(await freePort())).toBe(1);
  });

  it('receives SIGTERM itself and exits cleanly', async () => {
    expect(await gate.stop('SIGTERM')).toBe(0);
  });
});
