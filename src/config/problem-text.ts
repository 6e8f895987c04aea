import type { z } from 'zod';

type Issue = z.core.$ZodIssue & { input?: unknown };

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|PRIVATE/;
const URL_PASSWORD = /(\/\/[^:/@\s]*:)[^@/\s]*@/g;
const MAX_SHOWN = 120;

/** A value as a problem may show it: secrets never, a password inside a URL masked, long values cut. */
export function shownValue(env: string, raw: string): string {
  if (SECRET_NAME.test(env)) return '"***"';
  const masked = raw.replace(URL_PASSWORD, '$1***@');
  return JSON.stringify(masked.length > MAX_SHOWN ? `${masked.slice(0, MAX_SHOWN)}...` : masked);
}

const quoteList = (values: readonly unknown[]) => values.map((value) => JSON.stringify(String(value))).join(', ');

/** One issue in plain words; the variable and the value are added by the caller. */
function describe(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'number' ? 'must be a whole number' : `must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `allowed values are ${issue.values.map(String).join(', ')}`;
    case 'too_big':
      return issue.origin === 'number' ? `must be at most ${String(issue.maximum)}` : `is too long (at most ${String(issue.maximum)})`;
    case 'too_small':
      return issue.origin === 'number' ? `must be at least ${String(issue.minimum)}` : issue.origin === 'array' ? 'needs at least one value' : 'must not be empty';
    case 'invalid_format':
      if (issue.format === 'url') return 'must be an absolute URL, e.g. https://example.com';
      // A pattern without a message of its own: say which characters are allowed, in the schema's words.
      return issue.message.startsWith('Invalid string') ? `has characters or a form that are not allowed (${issue.message.replace(/^Invalid string: /, '')})` : issue.message;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/**
 * Every problem of one setting in plain words, each once: `VAR: what is wrong (got "value")`.
 * A list setting with several bad items names them together, with what is allowed.
 */
export function settingProblems(env: string, raw: string | undefined, issues: readonly Issue[], doc: string): string[] {
  if (raw === undefined) return [`${env}: is required: ${doc.replace(/ Required\.$/, '')}`];
  const shown = shownValue(env, raw);
  const badItems = issues.filter((issue) => issue.code === 'invalid_value' && issue.path.length > 0 && !SECRET_NAME.test(env));
  const lines = new Set<string>();
  if (badItems.length > 0) {
    const bad = [...new Set(badItems.map((issue) => String(issue.input)))];
    lines.add(`${env}: ${quoteList(bad)} ${bad.length === 1 ? 'is' : 'are'} not allowed; ${describe(badItems[0]!)} (got ${shown})`);
  }
  for (const issue of issues) {
    if (badItems.includes(issue)) continue;
    const where = issue.path.length > 0 && !SECRET_NAME.test(env) ? ` (item ${JSON.stringify(String(issue.input ?? issue.path.join('.')))})` : '';
    lines.add(`${env}: ${describe(issue)}${where} (got ${shown})`);
  }
  return [...lines];
}
