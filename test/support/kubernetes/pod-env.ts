import type { KubeObject } from './kinds.js';
import { find } from './render.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Container {
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
}

/** Secrets an operator creates by hand (not rendered): name -> key -> value. */
export type HandMadeSecrets = Record<string, Record<string, string>>;

/**
 * The environment the kubelet would give this container: envFrom ConfigMaps and Secrets,
 * then env, each secretKeyRef read from a rendered Secret or one made by hand. A reference
 * to a missing Secret or key throws, as the kubelet refuses to start such a container.
 */
export function containerEnv(objects: readonly KubeObject[], container: Container, handMade: HandMadeSecrets = {}): Record<string, string> {
  const secret = (name: string): Record<string, string> | undefined => {
    if (handMade[name]) return handMade[name];
    const rendered = objects.find((object) => object.kind === 'Secret' && object.metadata.name === name) as { stringData?: Record<string, string> } | undefined;
    return rendered?.stringData;
  };
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, find(objects, 'ConfigMap', source.configMapRef.name).data);
    if (source.secretRef) Object.assign(env, secret(source.secretRef.name) ?? {});
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (!ref) {
      env[variable.name] = expand(variable.value ?? '', env);
      continue;
    }
    const value = secret(ref.name)?.[ref.key];
    if (value === undefined) throw new Error(`${variable.name}: Secret ${ref.name} has no key ${ref.key}: the container would not start`);
    env[variable.name] = value;
  }
  return env;
}

/** Kubernetes' $(VAR) expansion of env values, command and args: known names only, $$ for $. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) => (name === undefined ? '$' : env[name] ?? match));
}
