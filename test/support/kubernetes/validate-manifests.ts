import { loadStrictSchema, type Validator } from '../strict-schema.js';
import { CUSTOM_KINDS, MODELLED_KINDS, describeObject, kindKey, type KubeObject } from './kinds.js';
import { strictFieldProblems } from './strict-fields.js';

const customValidators = new Map<string, Validator>();
function customValidator(key: string): Validator {
  let validator = customValidators.get(key);
  if (!validator) customValidators.set(key, (validator = loadStrictSchema(CUSTOM_KINDS[key]!)));
  return validator;
}

/**
 * Every problem of these objects, offline: modelled kinds against their OpenAPI schema
 * (kubernetes-models, @kubernetes-models/*) and, for unknown fields, against their TypeScript
 * declarations; other custom resources against their schema in test/schemas/, made strict.
 * A kind with no schema is a problem.
 */
export function validateManifests(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const key = kindKey(object);
    const modelled = MODELLED_KINDS[key];
    if (modelled) {
      try {
        new modelled.model(object as never).validate();
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
