import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchorsOf, codeBlocks, codeSpans, githubSlug, linksOf, section, table } from '../support/markdown.js';
import { REPO } from '../support/processes.js';

const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const readme = read('README.md');
const pages = readdirSync(join(REPO, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

/** Where a relative link of `from` leads, as a repository path, and its anchor. */
function resolveLink(from: string, target: string): { path: string; anchor: string | undefined } {
  const [path = '', anchor] = target.split('#', 2);
  return { path: path === '' ? from : relative(REPO, join(REPO, dirname(from), decodeURI(path))), anchor };
}

const relativeLinks = (file: string) => linksOf(read(file)).filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link.target));

describe('README.md', () => {
  it('stays short: at most 260 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(260);
  });

  it('links every page of docs/', () => {
    const linked = new Set(relativeLinks('README.md').map((link) => resolveLink('README.md', link.target).path));
    expect(pages.length).toBeGreaterThan(5);
    for (const page of pages) expect(linked.has(page), `${page} is not linked from README.md`).toBe(true);
  });

  it('has a quick start of two pasteable commands: one runs the demo, one runs the tests, as CI does', () => {
    const [commands] = codeBlocks(section(readme, 'Quick start'), 'sh');
    const lines = commands!.trim().split('\n');
    expect(lines).toEqual(['npm ci && npm run demo', 'bash .ci/install-system-deps && npm test']);
    for (const line of lines) {
      for (const [, script] of line.matchAll(/npm run ([\w:-]+)/g)) expect(packageJson.scripts, script).toHaveProperty(script!);
      for (const [, file] of line.matchAll(/bash (\S+)/g)) expect(existsSync(join(REPO, file!)), file).toBe(true);
    }
    expect(packageJson.scripts.test).toMatch(/vitest run/);
    // Both run on a supported Node whatever node the machine has (Debian's is 20): see with-node.
    for (const script of ['demo', 'test', 'start']) expect(packageJson.scripts[script], script).toMatch(/^scripts\/with-node /);
    // test/gateways/demo.test.ts runs what `npm run demo` ends with, after the same compile.
    expect(packageJson.scripts.demo).toMatch(/tsc -p tsconfig\.demo\.json && scripts\/with-node node \.tmp\/demo-build\/scripts\/demo\/demo\.js$/);
    expect(read('test/gateways/demo.test.ts')).toContain("'.tmp/demo-build/scripts/demo/demo.js'");
    // CI runs the README's test command, after the same installation step.
    const ci = read('.ci/run').trim().split('\n');
    expect(ci.slice(-3)).toEqual(['bash .ci/install-system-deps', 'npm ci --no-audit --no-fund', 'npm test']);
  });

  it('has no placeholder to fill in any command block', () => {
    for (const block of codeBlocks(readme, 'sh')) expect(block).not.toMatch(/<[^>\s]+>/);
  });

  it("gateway table has docs/gateways.md's gateways, in its order, and names files that exist", () => {
    const short = table(readme, 'Gateway');
    const full = table(read('docs/gateways.md'), 'Gateway');
    expect(short.map((row) => row[0])).toEqual(full.map((row) => row[0]));
    for (const [gateway, protocol, shipped, tested] of short) {
      expect(protocol, gateway).toMatch(/auth_request|ForwardAuth|ext_authz HTTP|ext_authz gRPC/);
      expect(tested, gateway).toMatch(/real nginx|real Caddy|protocol-exact|real gRPC client|schemas/);
      for (const path of codeSpans(shipped!)) expect(existsSync(join(REPO, path)), path).toBe(true);
    }
  });
});

describe('links in README.md and docs/', () => {
  const files = ['README.md', 'CHANGELOG.md', ...pages];

  it.each(files)('%s: every relative link reaches a file, and every anchor a heading', (file) => {
    const links = relativeLinks(file);
    for (const link of links) {
      const { path, anchor } = resolveLink(file, link.target);
      const where = `${file}:${link.line} [${link.text}](${link.target})`;
      expect(existsSync(join(REPO, path)), where).toBe(true);
      if (anchor === undefined) continue;
      expect(statSync(join(REPO, path)).isFile() && path.endsWith('.md'), `${where}: an anchor needs a Markdown file`).toBe(true);
      expect([...anchorsOf(read(path))], where).toContain(anchor);
    }
  });

  it('reads anchors as GitHub makes them', () => {
    expect(githubSlug('Freshness (`max_auth_age`) and reauthentication')).toBe('freshness-max_auth_age-and-reauthentication');
    expect(githubSlug("Which `X-Forwarded-Host` is the gateway's?")).toBe('which-x-forwarded-host-is-the-gateways');
    expect([...anchorsOf('# A\n```sh\n# not a heading\n```\n## A\n')]).toEqual(['a', 'a-1']);
  });

  it('would catch a broken link or anchor', () => {
    expect(linksOf('see [x](docs/nope.md) and `[y](z.md)`\n```\n[c](code.md)\n```\na [wrapped\nlink](w.md#a)')).toEqual([
      { text: 'x', target: 'docs/nope.md', line: 1 },
      { text: 'wrapped link', target: 'w.md#a', line: 5 },
    ]);
    expect(existsSync(join(REPO, resolveLink('README.md', 'docs/nope.md').path))).toBe(false);
    expect([...anchorsOf(read('docs/security.md'))]).not.toContain('no-such-heading');
  });
});
