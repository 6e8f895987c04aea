/**
 * The path as the app behind the gateway will route it, so a rule cannot be sidestepped by
 * spelling the same path differently (`/public/../admin`, `/%61dmin`, `//admin`, `/admin\x`):
 * percent-escapes decoded once (as nginx does before matching locations), `\` read as `/`
 * (as WHATWG URL parsing, and so most Node frameworks, do), dot segments resolved and
 * repeated slashes merged. Decoded bytes stay one character each, like nginx's raw bytes.
 */
export function normalizePath(rawPath: string): string {
  let path = rawPath.includes('%')
    ? rawPath.replace(/%([0-9a-fA-F]{2})/g, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    : rawPath;
  if (path.includes('\\')) path = path.replaceAll('\\', '/');
  if (!/\/\/|\/\.\.?(\/|$)/.test(path)) return path;

  const segments: string[] = [];
  const parts = path.split('/');
  for (let index = 1; index < parts.length; index++) {
    const segment = parts[index]!;
    const last = index === parts.length - 1;
    if (segment === '..') segments.pop();
    if (segment === '.' || segment === '..' || (segment === '' && !last)) {
      // A trailing dot segment still names a directory: keep its slash.
      if (last) segments.push('');
      continue;
    }
    segments.push(segment);
  }
  return `/${segments.join('/')}`;
}
