import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { copySource, readStages } from './dockerfile-rules.js';
import { REPO, tempDir } from './processes.js';

/**
 * Assembles the image's /app without Docker, following the Dockerfile itself: the
 * production-dependencies stage's RUN commands are run in a directory holding what that stage
 * copies, then every COPY of the final stage is replayed (build stage = this repo, whose dist/
 * the test setup has just built). The result is made read-only, as the image's files are.
 */
export function assembleImageArtifact(dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8')): string {
  const stages = readStages(dockerfile);
  const final = stages.at(-1)!;
  const stageDirs = new Map<string | undefined, string>([[undefined, REPO]]);
  for (const stage of stages.slice(0, -1)) {
    const installs = stage.instructions.some((instruction) => /--omit=dev/.test(instruction.getArgumentsContent() ?? ''));
    stageDirs.set(stage.name, installs ? runStage(stage.instructions) : REPO);
  }
  const app = tempDir('image');
  for (const copy of final.instructions.filter((instruction) => instruction.getKeyword() === 'COPY')) {
    const [destination, ...sources] = (copy.getArgumentsContent() ?? '').split(/\s+/).reverse();
    for (const source of sources) {
      const inStage = join(stageDirs.get(copySource(copy))!, source.replace(/^\/app\//, ''));
      cpSync(inStage, destination!.endsWith('/') ? join(app, destination!, source.split('/').at(-1)!) : join(app, destination!), { recursive: true });
    }
  }
  execFileSync('chmod', ['-R', 'a-w,a+rX', app]);
  chmodSync(app, 0o555);
  return app;
}

/** Runs a build stage's COPY (from this repo) and RUN steps in a temp dir, npm using its cache. */
function runStage(instructions: ReturnType<typeof readStages>[number]['instructions']): string {
  const dir = tempDir('stage');
  for (const instruction of instructions) {
    const text = instruction.getArgumentsContent() ?? '';
    if (instruction.getKeyword() === 'COPY') {
      const [destination, ...sources] = text.split(/\s+/).reverse();
      for (const source of sources) cpSync(join(REPO, source), join(dir, destination === './' ? source : destination!), { recursive: true });
    } else if (instruction.getKeyword() === 'RUN') {
      execFileSync('sh', ['-c', text], { cwd: dir, stdio: 'pipe', timeout: 180_000, env: { ...process.env, npm_config_prefer_offline: 'true' } });
    }
  }
  return dir;
}
