import { DockerfileParser, type Arg, type Copy, type Instruction, type Label } from 'dockerfile-ast';

/**
 * What the issue asks of the image, as checks over the parsed Dockerfile (hadolint is not
 * packaged here; dockerfile-utils lints syntax, these lint intent). Each returns problems.
 */
export interface Stage {
  name: string | undefined;
  image: string;
  instructions: Instruction[];
}

export function readStages(text: string): Stage[] {
  const dockerfile = DockerfileParser.parse(text);
  const args = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property?.getName()) args.set(property.getName(), property.getValue() ?? '');
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      // Flags (--platform=...) come before the image.
      const [image = '', as, name] = (instruction.getArgumentsContent() ?? '').split(/\s+/).filter((part) => !part.startsWith('--'));
      const resolved = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => args.get(a ?? b) ?? '');
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, image: resolved, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The stage a COPY takes from (`--from=`), undefined for the build context. */
export function copySource(instruction: Instruction): string | undefined {
  return 'getFromFlag' in instruction ? (instruction as Copy).getFromFlag()?.getValue() ?? undefined : undefined;
}

const of = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.getKeyword() === keyword);
const args = (instruction: Instruction) => instruction.getArgumentsContent() ?? '';

/** The JSON array after CMD (of a CMD or a HEALTHCHECK CMD), or undefined for the shell form. */
export function execForm(instruction: Instruction): string[] | undefined {
  const text = args(instruction).replace(/^(--\S+\s+)*(CMD\s+)?/s, '').trim();
  if (!text.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text.replace(/\\\r?\n/g, ''));
    return Array.isArray(parsed) && parsed.every((part) => typeof part === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The flags node is given in `node [flags] dist/server.js`, or undefined for any other command. */
function runtimeFlagsOf(argv: readonly string[]): string[] | undefined {
  const flags = argv.slice(1, -1);
  return argv[0] === 'node' && argv.at(-1) === 'dist/server.js' && flags.every((flag) => /^--[a-z0-9-]+(=\S+)?$/.test(flag)) ? flags : undefined;
}

/**
 * The V8 flags the image runs the sidecar with (its CMD): tests and the bench start the built
 * server with them too, so what they measure is what ships.
 */
export function shippedNodeFlags(text: string): string[] {
  const cmd = finalStage(text).instructions.filter((instruction) => instruction.getKeyword() === 'CMD').at(-1);
  const flags = cmd && execForm(cmd) && runtimeFlagsOf(execForm(cmd)!);
  if (!flags) throw new Error('the Dockerfile\'s CMD is not node [flags] dist/server.js');
  return flags;
}

export function finalStage(text: string): Stage {
  const stage = readStages(text).at(-1);
  if (!stage) throw new Error('no FROM in Dockerfile');
  return stage;
}

/** What the image must agree with, from package.json. */
export interface ProjectFacts {
  /** engines.node, e.g. ">=26.12": its major is the Node every stage runs on. */
  nodeRange: string;
  license: string;
}

/** The default of `ARG name=default` in this stage, undefined when it declares none. */
export function argDefault(stage: Stage, name: string): string | undefined {
  const arg = of(stage, 'ARG').map((instruction) => (instruction as Arg).getProperty()).find((property) => property?.getName() === name);
  return arg ? arg.getValue() ?? undefined : undefined;
}

/** The final stage's LABEL keys and values, quotes removed. */
export function labels(stage: Stage): Record<string, string> {
  return Object.fromEntries(of(stage, 'LABEL').flatMap((label) => (label as Label).getProperties().map((property) => [property.getName(), property.getValue() ?? ''])));
}

const OCI_LABELS = ['title', 'description', 'source', 'licenses', 'version', 'revision'].map((name) => `org.opencontainers.image.${name}`);

function imageProblems(stages: Stage[], project: ProjectFacts): string[] {
  const problems: string[] = [];
  const major = /\d+/.exec(project.nodeRange)?.[0];
  for (const stage of stages) {
    const node = /^node:(\d+)[.-]/.exec(stage.image)?.[1];
    if (node !== major) problems.push(`stage ${stage.name ?? '(unnamed)'} is ${stage.image}, not the Node ${major} that engines (${project.nodeRange}) asks for`);
  }
  const final = stages.at(-1)!;
  const found = labels(final);
  for (const name of OCI_LABELS) if (!found[name]) problems.push(`label ${name} is missing or empty`);
  for (const [label, arg] of [['version', 'VERSION'], ['revision', 'REVISION']] as const) {
    if (found[`org.opencontainers.image.${label}`] !== `\${${arg}}`) problems.push(`label org.opencontainers.image.${label} is not \${${arg}}`);
    if (!argDefault(final, arg)) problems.push(`the final stage declares no ARG ${arg} with a default`);
  }
  if (found['org.opencontainers.image.licenses'] !== project.license) problems.push(`label org.opencontainers.image.licenses is not package.json's license ${project.license}`);
  if (!/^https:\/\//.test(found['org.opencontainers.image.source'] ?? '')) problems.push('label org.opencontainers.image.source is not an https URL');
  return problems;
}

export function checkDockerfile(text: string, project: ProjectFacts): string[] {
  const problems: string[] = [];
  const stages = readStages(text);
  const final = stages.at(-1);
  if (!final) return ['no FROM instruction'];
  if (stages.length < 2) problems.push('not multi-stage: build tools would ship in the image');
  problems.push(...imageProblems(stages, project));
  if (!/-slim\b|distroless/.test(final.image)) problems.push(`final image ${final.image} is neither slim nor distroless`);

  const user = of(final, 'USER').at(-1);
  const uid = user ? args(user).split(':')[0]! : undefined;
  if (!user) problems.push('no USER in the final stage: it would run as root');
  else if (!/^\d+$/.test(uid!) || uid === '0') problems.push(`USER ${args(user)} is not a numeric non-root uid (runAsNonRoot cannot verify a name)`);

  const cmd = of(final, 'CMD').at(-1);
  const argv = cmd ? execForm(cmd) : undefined;
  if (!argv) problems.push('CMD is missing or in shell form: node would not receive SIGTERM');
  else if (runtimeFlagsOf(argv) === undefined) problems.push(`CMD runs ${argv.join(' ')}, not node dist/server.js (with V8 flags at most)`);
  if (of(final, 'ENTRYPOINT').length > 0) problems.push('ENTRYPOINT in the final stage wraps the CMD');

  const healthcheck = of(final, 'HEALTHCHECK').at(-1);
  const probe = healthcheck ? execForm(healthcheck) : undefined;
  if (!probe) problems.push('HEALTHCHECK is missing or not in exec form');
  else if (probe[0] !== 'node' || !probe.join(' ').includes('/healthz')) problems.push('HEALTHCHECK does not ask /healthz with node');

  const prodStage = stages.find((stage) => of(stage, 'RUN').some((run) => /\bnpm ci\b[^&;]*--omit=dev/.test(args(run))));
  if (!prodStage) problems.push('no stage installs production dependencies with npm ci --omit=dev');
  const copies = of(final, 'COPY');
  if (prodStage && !copies.some((copy) => copySource(copy) === prodStage.name && args(copy).includes('node_modules'))) {
    problems.push('the final stage does not take node_modules from the production-dependencies stage');
  }
  for (const copy of copies.filter((copy) => copySource(copy) === undefined)) {
    if (!/^package\.json\s/.test(args(copy))) problems.push(`COPY ${args(copy)} takes files from the build context into the final stage`);
  }
  if (of(final, 'RUN').some((run) => /\bnpm (ci|install|i)\b/.test(args(run)))) problems.push('the final stage runs npm install');
  if (!of(final, 'RUN').some((run) => /rm -rf[^]*\/usr\/local\/bin\/npm\b/.test(args(run)))) problems.push('npm is left in the final image');
  return problems;
}
