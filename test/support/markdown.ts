/**
 * Just enough Markdown for tests that hold the documentation to the code and to itself:
 * headings and their GitHub anchors, links, tables and code blocks, all outside fenced code.
 */

export interface MarkdownLink {
  text: string;
  target: string;
  line: number;
}

/** The lines of a document, each marked whether it sits inside a fenced code block. */
function linesOutsideCode(text: string): Array<{ line: string; number: number; inCode: boolean }> {
  let inCode = false;
  return text.split('\n').map((line, index) => {
    const fence = /^\s*(```|~~~)/.test(line);
    if (fence) inCode = !inCode;
    return { line, number: index + 1, inCode: inCode || fence };
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, each space a hyphen. */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a document's headings make, with GitHub's -1, -2 suffixes for repeats. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line, inCode } of linesOutsideCode(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*$/.exec(line);
    if (inCode || !heading) continue;
    const slug = githubSlug(heading[1]!);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Inline links `[text](target)` outside code blocks and code spans; link text may wrap lines. */
export function linksOf(text: string): MarkdownLink[] {
  // Code blocks become empty lines and code spans spaces, so line numbers stay true.
  const prose = linesOutsideCode(text)
    .map(({ line, inCode }) => (inCode ? '' : line))
    .join('\n')
    .replace(/`[^`]*`/g, (span) => span.replace(/[^\n]/g, ' '));
  return [...prose.matchAll(/\[([^\]]*)\]\(([^)\s]+)\)/g)].map((match) => ({
    text: match[1]!.replace(/\s+/g, ' '),
    target: match[2]!,
    line: prose.slice(0, match.index).split('\n').length,
  }));
}

/** The section under `heading` (any level), up to the next heading of the same or a higher level. */
export function section(text: string, heading: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => /^#{1,6} /.test(line) && line.replace(/^#+ /, '') === heading);
  if (start === -1) throw new Error(`no heading "${heading}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((line, index) => index > start && new RegExp(`^#{1,${level}} `).test(line));
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

/** The first table in `text` whose header row starts with `| firstHeader |`, as rows of cells. */
export function table(text: string, firstHeader: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => new RegExp(`^\\|\\s*${firstHeader.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\|`).test(line));
  if (start === -1) throw new Error(`no table starting with "${firstHeader}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}

/** The contents of every fenced code block of a language (`sh`, `yaml`, ...) in `text`. */
export function codeBlocks(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((match) => match[1]!);
}

/** The code spans of a table cell: `a`, `b` -> [a, b]. */
export const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
