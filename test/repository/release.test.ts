import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { argDefault, finalStage, readStages } from '../support/dockerfile-rules.js';
import { REPO } from '../support/processes.js';

const read = (file: string) => readFileSync(join(REPO, file), 'utf8');
const packageJson = JSON.parse(read('package.json')) as { version: string; license: string; engines: { node: string } };
const changelog = read('CHANGELOG.md');
const dockerfile = read('Dockerfile');

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/;
const numbers = (version: string) => SEMVER.exec(version)!.slice(1, 4).map(Number);
const newer = (a: string, b: string) => {
  const [x, y] = [numbers(a), numbers(b)];
  const index = x.findIndex((part, i) => part !== y[i]);
  return index !== -1 && x[index]! > y[index]!;
};

/** The `## [...]` sections of a Keep a Changelog file, in order. */
const releases = [...changelog.matchAll(/^## \[([^\]]+)\](?: - (\S+))?$/gm)].map(([, version, date]) => ({ version: version!, date }));
const released = releases.filter((release) => release.version !== 'Unreleased');

/** The version each place states; a release bumps them all (docs/releasing.md). */
function versions(texts: { packageJson: string; changelog: string; dockerfile: string; kustomization: string }): Record<string, string | undefined> {
  const kustomization = parse(texts.kustomization) as { images: Array<{ name: string; newTag: string }> };
  return {
    'package.json': (JSON.parse(texts.packageJson) as { version: string }).version,
    'CHANGELOG.md': /^## \[(\d[^\]]*)\]/m.exec(texts.changelog)?.[1],
    'Dockerfile ARG VERSION': argDefault(finalStage(texts.dockerfile), 'VERSION'),
    'deploy/base/kustomization.yaml newTag': kustomization.images.find((image) => image.name === 'authgear-gate')?.newTag,
  };
}
const shipped = { packageJson: read('package.json'), changelog, dockerfile, kustomization: read('deploy/base/kustomization.yaml') };

describe('one version everywhere', () => {
  it("package.json, the changelog's newest release, the Dockerfile's VERSION and the manifests' image tag agree", () => {
    expect(packageJson.version).toMatch(SEMVER);
    const found = versions(shipped);
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((place) => [place, packageJson.version])));
  });

  it('notices a bump that misses one place', () => {
    const bumped = versions({ ...shipped, packageJson: JSON.stringify({ ...packageJson, version: '0.2.0' }), dockerfile: dockerfile.replace(/^ARG VERSION=.*$/m, 'ARG VERSION=0.2.0') });
    expect(bumped).toMatchObject({ 'package.json': '0.2.0', 'Dockerfile ARG VERSION': '0.2.0', 'CHANGELOG.md': packageJson.version });
  });
});

describe('CHANGELOG.md (Keep a Changelog)', () => {
  it('opens with [Unreleased], then releases newest first, each with an ISO date', () => {
    expect(changelog.startsWith('# Changelog\n')).toBe(true);
    expect(releases[0]).toEqual({ version: 'Unreleased', date: undefined });
    expect(released.length).toBeGreaterThan(0);
    for (const [index, release] of released.entries()) {
      expect(release.version).toMatch(SEMVER);
      expect(release.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(new Date(`${release.date}T00:00:00Z`).toISOString().slice(0, 10)).toBe(release.date);
      const next = released[index + 1];
      if (next) {
        expect(newer(release.version, next.version), `${release.version} after ${next.version}`).toBe(true);
        expect(release.date! >= next.date!).toBe(true);
      }
    }
  });

  it('uses only its change types, and links every section', () => {
    const types = [...changelog.matchAll(/^### (.+)$/gm)].map(([, type]) => type);
    for (const type of types) expect(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security']).toContain(type);
    for (const { version } of releases) expect(changelog).toMatch(new RegExp(`^\\[${version.replaceAll('.', '\\.')}\\]: https://\\S+$`, 'm'));
    expect(changelog).toMatch(new RegExp(`^\\[Unreleased\\]: \\S+/compare/v${released[0]!.version.replaceAll('.', '\\.')}\\.\\.\\.HEAD$`, 'm'));
  });
});

describe('LICENSE', () => {
  it("is the Apache License 2.0, word for word, with the project's copyright line", () => {
    const license = read('LICENSE');
    expect(packageJson.license).toBe('Apache-2.0');
    expect(license).toContain('\n   Copyright 2026 The authgear-gate authors\n');
    // The text Apache publishes (LICENSE-2.0.txt), whose appendix has the template line.
    const template = license.replace('   Copyright 2026 The authgear-gate authors', '   Copyright [yyyy] [name of copyright owner]');
    expect(createHash('md5').update(template).digest('hex')).toBe('3b83ef96387f14655fc854ddc3c6bd57');
  });
});

describe('the runtime', () => {
  const ci = read('.ci/run');
  // .ci/run (and scripts/with-node, for the quick start) take the version from one place.
  const ciNode = /^PROJECT_NODE_VERSION=(\S+)$/m.exec(read('scripts/project-node.sh'))?.[1];
  const [, minMajor, minMinor] = /^>=(\d+)\.(\d+)$/.exec(packageJson.engines.node) ?? [];
  const allowed = (version: string) => {
    const [major, minor] = numbers(version);
    return major! > Number(minMajor) || (major === Number(minMajor) && minor! >= Number(minMinor));
  };

  it("CI installs an exact Node that engines allows, of the major every image stage uses", () => {
    expect(packageJson.engines.node).toMatch(/^>=\d+\.\d+$/);
    expect(ciNode).toMatch(/^\d+\.\d+\.\d+$/);
    expect(allowed(ciNode!)).toBe(true);
    expect(ci).toMatch(/^use_project_node$/m);
    expect(read('scripts/project-node.sh')).toContain('npm install --prefix "$PROJECT_ROOT/.ci/node"');
    for (const stage of readStages(dockerfile)) expect(stage.image).toBe(`node:${numbers(ciNode!)[0]}-trixie-slim`);
  });

  it('runs this suite on a Node that engines allows', () => {
    expect(allowed(process.versions.node), `node ${process.version} against engines ${packageJson.engines.node}`).toBe(true);
    expect(allowed('20.19.0')).toBe(false);
  });

  it("keeps CI's Node install out of git and out of the Docker build context", () => {
    expect(ci).toMatch(/^source scripts\/project-node\.sh$/m);
    expect(read('scripts/project-node.sh')).toContain('"$PROJECT_ROOT/.ci/node"');
    expect(read('.gitignore').split('\n')).toContain('.ci/node/');
    const ignore = read('.dockerignore').split('\n').filter((line) => line && !line.startsWith('#'));
    expect(ignore[0]).toBe('*');
    // Everything is excluded, then only these come back: none of them is .ci/.
    expect(ignore.filter((line) => line.startsWith('!')).every((line) => /^!(package(-lock)?\.json|tsconfig(\.build)?\.json|src\/)$/.test(line))).toBe(true);
  });
});
