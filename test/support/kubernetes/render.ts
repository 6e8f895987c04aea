import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from '../processes.js';
import type { KubeObject } from './kinds.js';

export const OVERLAYS = readdirSync(join(REPO, 'deploy/overlays'));

/** `kubectl kustomize` of a directory, as the objects it renders. */
export function kustomize(dir: string): KubeObject[] {
  const text = execFileSync('kubectl', ['kustomize', join(REPO, dir)], { encoding: 'utf8', timeout: 60_000 });
  return parseAllDocuments(text).map((document) => document.toJS() as KubeObject).filter(Boolean);
}

/** The rendered object of that kind and name (a generated ConfigMap's name carries a hash suffix). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read rendered YAML freely
export function find(objects: readonly KubeObject[], kind: string, name: string): any {
  const found = objects.find((object) => object.kind === kind && (object.metadata.name === name || new RegExp(`^${name}-[a-z0-9]{10}$`).test(object.metadata.name)));
  if (!found) throw new Error(`no ${kind} ${name} rendered`);
  return found;
}
