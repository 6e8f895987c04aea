import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { REPO } from './processes.js';

type Schema = Record<string, unknown>;

/**
 * Makes an OpenAPI/JSON schema strict the way `kubectl --validate=strict` and kubeconform's
 * strict schemas are: every object that lists its properties accepts no other property.
 * Vendored CRD schemas stay verbatim subsets of upstream; strictness is derived here.
 */
export function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const result: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    result[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([name, sub]) => [name, strict(sub)])) : strict(value);
  }
  if ('properties' in result && result.additionalProperties === undefined && !result['x-kubernetes-preserve-unknown-fields']) {
    result.additionalProperties = false;
  }
  return result;
}

// strictRequired off: `oneOf: [{ required: [grpc] }, { required: [http] }]` (a CRD's "exactly
// one of" rule) names properties its branches do not redeclare, which is the point.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
ajv.addVocabulary(['x-kubernetes-int-or-string', 'x-kubernetes-map-type', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-preserve-unknown-fields']);
// OpenAPI's integer formats, as the Kubernetes API server checks them.
ajv.addFormat('int32', { type: 'number', validate: (value) => Number.isInteger(value) && Math.abs(value) <= 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (value) => Number.isSafeInteger(value) });

export type Validator = (value: unknown) => string[];

/** Loads a YAML schema from test/schemas/, made strict; returns a function listing problems. */
export function loadStrictSchema(file: string): Validator {
  const schema = strict(parse(readFileSync(join(REPO, 'test/schemas', file), 'utf8'))) as Schema;
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map(describeError));
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath || '(root)';
  if (error.keyword === 'additionalProperties') return `${where}: unknown field "${String(error.params.additionalProperty)}"`;
  return `${where}: ${error.message ?? error.keyword}`;
}
