import { Denial } from '../outcome.js';
import { RequirementFields } from './requirements.js';

type Kind = 'text' | 'boolean' | 'integer' | 'list';
/** Fields whose any_of and all_of come from two parameters. */
type Grouped = 'roles' | 'scopes';
type Parameter =
  | { field: Exclude<keyof RequirementFields, Grouped>; kind: Exclude<Kind, 'list'> }
  | { group: Grouped; field: 'any_of' | 'all_of'; kind: 'list' };

/**
 * The auth URL's query parameters (`/auth?max_age=300&roles=admin`) and the policy file
 * fields they set. `roles` is any-of, `all_roles` all-of; `scopes` is all-of (an API's
 * endpoint needs every scope it names), `any_scopes` any-of; `max_age` is the OIDC spelling.
 */
const PARAMETERS: Record<string, Parameter> = {
  access: { field: 'access', kind: 'text' },
  deny_anonymous: { field: 'deny_anonymous', kind: 'boolean' },
  require_verified: { field: 'require_verified', kind: 'boolean' },
  roles: { group: 'roles', field: 'any_of', kind: 'list' },
  all_roles: { group: 'roles', field: 'all_of', kind: 'list' },
  mode: { field: 'mode', kind: 'text' },
  max_age: { field: 'max_auth_age', kind: 'integer' },
  max_auth_age: { field: 'max_auth_age', kind: 'integer' },
  freshness_from: { field: 'freshness_from', kind: 'text' },
  when_cannot_reauthenticate: { field: 'when_cannot_reauthenticate', kind: 'text' },
  allow_cors_preflight: { field: 'allow_cors_preflight', kind: 'boolean' },
  resource: { field: 'resource', kind: 'text' },
  scopes: { group: 'scopes', field: 'all_of', kind: 'list' },
  any_scopes: { group: 'scopes', field: 'any_of', kind: 'list' },
  principals: { field: 'principals', kind: 'text' },
};

function convert(value: string, kind: Kind): unknown {
  if (kind === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (kind === 'integer') return /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (kind === 'list') return value.split(',').map((part) => part.trim());
  return value;
}

/**
 * Reads an auth URL query into requirement fields. The query is the operator's (an nginx
 * location, a Traefik middleware address), so a bad one is a configuration error: the
 * Denial lists every problem for the log and the route fails closed.
 */
export function parseQueryRequirements(query: string): RequirementFields {
  const problems: string[] = [];
  const fields: Record<string, unknown> = {};
  const groups: Record<Grouped, Record<string, unknown>> = { roles: {}, scopes: {} };
  const nameOf = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(query)) {
    const parameter = PARAMETERS[name];
    if (!parameter && /^claims?\b/.test(name)) {
      problems.push(`${name}: claim conditions are set in the policy file only, never in an auth URL query (docs/policies.md says why)`);
      continue;
    }
    if (!parameter) {
      problems.push(`${name}: unknown parameter (known: ${Object.keys(PARAMETERS).join(', ')})`);
      continue;
    }
    const key = 'group' in parameter ? `${parameter.group}.${parameter.field}` : parameter.field;
    if (nameOf.has(key)) {
      problems.push(`${name}: given more than once`);
      continue;
    }
    nameOf.set(key, name);
    ('group' in parameter ? groups[parameter.group] : fields)[parameter.field] = convert(value, parameter.kind);
  }
  for (const [group, values] of Object.entries(groups)) if (Object.keys(values).length > 0) fields[group] = values;
  const parsed = RequirementFields.safeParse(fields);
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const depth = issue.path[0] === 'roles' || issue.path[0] === 'scopes' ? 2 : 1;
    const key = issue.path.slice(0, depth).map(String).join('.');
    problems.push(`${[nameOf.get(key) ?? key, ...issue.path.slice(depth).map(String)].join('.')}: ${issue.message}`);
  }
  if (problems.length > 0) throw new Denial('policy_invalid', `auth URL query "${query.slice(0, 200)}" is not valid: ${problems.join('; ')}`);
  return parsed.data!;
}
