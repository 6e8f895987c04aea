import { join } from 'node:path';
import ts from 'typescript';
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
 */
const parsedDeclarations = new Map<string, ts.SourceFile | undefined>();

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
  const source = lines.join('\n');
  const fileName = join(REPO, 'test', '__manifests__.ts');
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['lib.es2020.d.ts'],
    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => {
    if (name === fileName) return ts.createSourceFile(name, source, version);
    // lib and kubernetes-types declarations never change during a run: parse them once.
    let parsed = parsedDeclarations.get(name);
    if (!parsed) parsedDeclarations.set(name, (parsed = getSourceFile(name, version)));
    return parsed;
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram({ rootNames: [fileName], options, host });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    // Keys are JSON-quoted in the generated literal: show them as written in the manifest.
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ').replace(/'"([^"']+)"'/g, "'$1'");
    if (diagnostic.file?.fileName !== fileName || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const index = starts.findLastIndex((start) => start <= line);
    return `${index >= 0 ? describeObject(objects[index]!) : 'manifests'}: ${message}`;
  });
}
