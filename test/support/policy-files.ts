import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Replaces a file whole (write aside, then rename), as editors and most tools do: a reader sees the old text or the new, never half. */
export function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.next`, text);
  renameSync(`${path}.next`, path);
}

/**
 * A directory laid out as the kubelet mounts a ConfigMap: the files in a timestamped
 * `..2026_...` directory, a `..data` symlink to it, and each file a symlink through `..data`.
 * update() swaps the content as the kubelet's atomic writer does: a new timestamped
 * directory, a `..data_tmp` symlink to it renamed over `..data` in one step, the old one removed.
 */
export function configMapVolume(dir: string, files: Record<string, string>): { path(name: string): string; update(files: Record<string, string>): void } {
  let generation = 0;
  let current: string | undefined;
  const write = (content: Record<string, string>) => {
    const stamp = `..2026_01_15_10_20_${String(30 + generation).padStart(2, '0')}.${String(++generation).padStart(9, '0')}`;
    mkdirSync(join(dir, stamp));
    for (const [name, text] of Object.entries(content)) writeFileSync(join(dir, stamp, name), text);
    symlinkSync(stamp, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    if (current) rmSync(join(dir, current), { recursive: true });
    current = stamp;
  };
  write(files);
  for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(dir, name));
  return { path: (name) => join(dir, name), update: write };
}
