import { loadStrictSchema, type Validator } from '../strict-schema.js';
import { BUILT_IN_KINDS, CUSTOM_KINDS, describeObject, kindKey, type KubeObject } from './kinds.js';
import { strictFieldProblems } from './strict-fields.js';

const customValidators = new Map<string, Validator>();
function customValidator(key: string): Validator {
  let validator = customValidators.get(key);
  if (!validator) customValidators.set(key, (validator = loadStrictSchema(CUSTOM_KINDS[key]!)));
  return validator;
}

/**
 * Every problem of these objects, offline: built-in kinds against the Kubernetes OpenAPI
 * schema (kubernetes-models) and, for unknown fields, against kubernetes-types; custom
 * resources against their vendored CRD schema, made strict. A kind with no schema is a problem.
 */
export function validateManifests(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const key = kindKey(object);
    const builtIn = BUILT_IN_KINDS[key];
    if (builtIn) {
      try {
        new builtIn.model(object as never).validate();
      } catch (error) {
        problems.push(`${describeObject(object)}: ${(error as Error).message}`);
      }
    } else if (CUSTOM_KINDS[key]) {
      problems.push(...customValidator(key)(object).map((problem) => `${describeObject(object)}: ${problem}`));
    } else {
      problems.push(`${describeObject(object)}: no schema for ${key}; add it to test/support/kubernetes/kinds.ts`);
    }
  }
  return problems.concat(strictFieldProblems(objects));
}
