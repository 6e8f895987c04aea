// Characters that, unescaped outside a class, match only themselves in a JavaScript regex
// without the u flag: printable ASCII but the syntax characters. `]` and `}` are literal there
// too (Annex B), but leaving them out costs nothing and needs no argument.
const PLAIN = /^[\x20-\x23\x25-\x27\x2c-\x2d\x2f-\x3e\x40-\x5a\x5f-\x7a\x7e]$/;
// Escapes that stand for the character itself. Escaped letters and digits are classes,
// assertions or back-references (\d, \b, \1), so they end the prefix.
const ESCAPED_LITERAL = /^[$()*+\-./?[\\\]^{|}]$/;
const QUANTIFIER = /^[*+?{]$/;

/** Whether the source has a `|` outside every group and class: then `^` anchors only the first alternative. */
function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let at = 0; at < source.length; at++) {
    const char = source[at];
    if (char === '\\') at++;
    else if (inClass) inClass = char !== ']';
    else if (char === '[') inClass = true;
    else if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === '|' && depth === 0) return true;
  }
  return false;
}

/**
 * Text every path the regex (flags '' or 'i') matches must start with, or '' when none can be
 * proven: only a leading `^` followed by plain characters, each one not made optional or
 * repeatable by a quantifier, and no alternation at the top level. Under the i flag the
 * caller compares it lower-cased with the lower-cased path, which holds because every
 * character taken is ASCII (without u, i never maps a non-ASCII character onto ASCII).
 */
export function literalPrefixOf(source: string): string {
  if (!source.startsWith('^') || hasTopLevelAlternation(source)) return '';
  let prefix = '';
  let at = 1;
  while (at < source.length) {
    const char = source[at]!;
    const escaped = char === '\\';
    const literal = escaped ? source[at + 1] : char;
    if (literal === undefined || !(escaped ? ESCAPED_LITERAL : PLAIN).test(literal)) break;
    const next = at + (escaped ? 2 : 1);
    if (QUANTIFIER.test(source[next] ?? '')) break;
    prefix += literal;
    at = next;
  }
  return prefix;
}
