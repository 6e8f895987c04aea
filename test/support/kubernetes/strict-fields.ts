import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../processes.js';
import { CUSTOM_KINDS, MODELLED_KINDS, describeObject, kindKey, type KubeObject } from './kinds.js';

/**
 * Unknown fields (a `replica:` or `httpGett:` typo), wrong types and missing required fields,
 * caught by the TypeScript compiler: each object becomes an object literal typed with its
 * kubernetes-types interface (generated from the Kubernetes OpenAPI spec) or its
 * @kubernetes-models interface (Gateway API, Istio), and excess-property
 * checking rejects any field the schema does not have, at any depth. This is the strictness
 * kubernetes-models' validators lack. Custom resources get ObjectMeta checked here, their spec
 * by their own schema.
 *
 * The project's own `tsc` runs on the generated file: TypeScript 7 is a native compiler with no
 * stable in-process API, and its command line and diagnostic format are the stable contract.
 * The file is written under the repository so `kubernetes-types` resolves from node_modules.
 */
export function strictFieldProblems(objects: readonly KubeObject[]): string[] {
  const modules = [...new Set(objects.map((object) => MODELLED_KINDS[kindKey(object)]?.types.module).filter(Boolean))];
  const lines = [
    ...modules.map((module, index) => `import type * as m${index} from '${module}';`),
    `type CustomResource = { apiVersion: string; kind: string; metadata: import('kubernetes-types/meta/v1').ObjectMeta; spec: unknown };`,
  ];
  // The line each object's literal starts on, to name the object in a diagnostic.
  const starts: number[] = [];
  objects.forEach((object, index) => {
    const modelled = MODELLED_KINDS[kindKey(object)];
    const type = modelled ? `m${modules.indexOf(modelled.types.module)}.${modelled.types.name}` : CUSTOM_KINDS[kindKey(object)] ? 'CustomResource' : 'never';
    starts.push(lines.length);
    lines.push(...`export const object${index}: ${type} = ${JSON.stringify(object, null, 1)};`.split('\n'));
  });
  return compile(lines.join('\n')).map(({ line, message }) => {
    // Keys are JSON-quoted in the generated literal: show them as written in the manifest.
    const text = message.replace(/'"([^"']+)"'/g, "'$1'");
    if (line === undefined) return text;
    const index = starts.findLastIndex((start) => start <= line);
    return `${index >= 0 ? describeObject(objects[index]!) : 'manifests'}: ${text}`;
  });
}

const compilerOptions = {
  strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['es2020'], module: 'esnext', moduleResolution: 'bundler',
};

/** `tsc --noEmit` of one file: each error with its 0-based line (undefined when not in the file). */
function compile(source: string): Array<{ line: number | undefined; message: string }> {
  mkdirSync(join(REPO, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(REPO, '.tmp', 'manifest-types-'));
  try {
    writeFileSync(join(dir, 'manifests.ts'), source);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['manifests.ts'] }));
    const result = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'], { encoding: 'utf8', timeout: 60_000 });
    if (result.error) throw result.error;
    const errors = parseDiagnostics(result.stdout);
    if (result.status !== 0 && errors.length === 0) throw new Error(`tsc failed without a diagnostic: ${result.stdout}${result.stderr}`);
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `file(line,col): error TSnnnn: message`, continuation lines indented under it. */
function parseDiagnostics(output: string): Array<{ line: number | undefined; message: string }> {
  const errors: Array<{ line: number | undefined; message: string }> = [];
  for (const text of output.split('\n')) {
    const located = /^(.+?)\((\d+),\d+\): error TS\d+: (.*)$/.exec(text);
    const general = /^error TS\d+: (.*)$/.exec(text);
    if (located) errors.push({ line: located[1]!.endsWith('manifests.ts') ? Number(located[2]) - 1 : undefined, message: located[3]! });
    else if (general) errors.push({ line: undefined, message: general[1]! });
    else if (text.trim() && errors.length > 0) errors.at(-1)!.message += ` ${text.trim()}`;
  }
  return errors;
}
