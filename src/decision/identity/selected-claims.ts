/**
 * The top-level claims a policy names in its claim conditions: what a verified access token
 * keeps of its payload, so a cached token holds a few values instead of all its claims. One
 * per policy version; a reload that names the same claims keeps the same selection, so the
 * tokens cached under it stay as they are.
 */
export interface ClaimSelection {
  readonly names: readonly string[];
}

/**
 * The claims a token keeps, by name; a null prototype, so a claim named `constructor` or
 * `__proto__` is the token's and never Object's.
 */
export type SelectedClaims = Readonly<Record<string, unknown>>;

/** The selection of a policy that names no claim: what nearly every token is kept with. */
export const NO_CLAIMS: ClaimSelection = Object.freeze({ names: Object.freeze([]) });
export const NO_SELECTED_CLAIMS: SelectedClaims = Object.freeze(Object.create(null) as Record<string, unknown>);

/** The selection of these names: `previous` itself when it names the same ones. */
export function claimSelection(names: Iterable<string>, previous: ClaimSelection = NO_CLAIMS): ClaimSelection {
  const wanted = [...new Set(names)].sort();
  const same = wanted.length === previous.names.length && wanted.every((name, at) => name === previous.names[at]);
  return same ? previous : Object.freeze({ names: Object.freeze(wanted) });
}

/** The selected claims of a verified payload (those it has); the shared empty set when none is named. */
export function pickClaims(payload: Readonly<Record<string, unknown>>, selection: ClaimSelection): SelectedClaims {
  if (selection.names.length === 0) return NO_SELECTED_CLAIMS;
  const picked = Object.create(null) as Record<string, unknown>;
  for (const name of selection.names) if (Object.hasOwn(payload, name)) picked[name] = payload[name];
  return Object.freeze(picked);
}
