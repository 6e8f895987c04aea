import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO } from './processes.js';

/** Every file of a shipped config folder, recursively, as repo-relative path and text. */
export function configFiles(folder: string, pattern: RegExp): Array<{ path: string; text: string }> {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
  return walk(join(REPO, folder))
    .filter((file) => pattern.test(file))
    .map((file) => ({ path: relative(REPO, file), text: readFileSync(file, 'utf8') }));
}

const withoutComments = (text: string) => text.replace(/#[^\n]*/g, '');

/** The `location` blocks of an nginx config (nested ones included), comments removed. */
export function nginxLocations(text: string): Array<{ match: string; body: string }> {
  const source = withoutComments(text);
  const found: Array<{ match: string; body: string }> = [];
  const opening = /\blocation\s+([^{;]+)\{/g;
  for (let match = opening.exec(source); match; match = opening.exec(source)) {
    let depth = 1;
    let end = opening.lastIndex;
    while (depth > 0 && end < source.length) {
      if (source[end] === '{') depth++;
      else if (source[end] === '}') depth--;
      end++;
    }
    found.push({ match: match[1]!.trim(), body: source.slice(opening.lastIndex, end - 1) });
  }
  return found;
}

/** Header names an nginx config sets on proxied requests, lower-cased. */
export const nginxProxySetHeaders = (text: string, prefix: string) =>
  [...withoutComments(text).matchAll(/proxy_set_header\s+(\S+)/g)].map((match) => match[1]!.toLowerCase()).filter((name) => name.startsWith(prefix));

/** Header names an nginx config copies from the auth answer with auth_request_set. */
export const nginxAuthRequestSets = (text: string, prefix: string) =>
  [...withoutComments(text).matchAll(/auth_request_set\s+\S+\s+\$upstream_http_(\w+)/g)]
    .map((match) => match[1]!.replaceAll('_', '-'))
    .filter((name) => name.startsWith(prefix));
