import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

export interface FileWatchOptions {
  /** The files to follow. */
  paths: readonly string[];
  /** Called once a burst of changes has been quiet for `quietMs`. */
  onChange: () => void;
  /** A write is several events (truncate, write), a ConfigMap update more (a directory, a symlink, a rename, a removal). */
  quietMs?: number;
  /** A watch that could not be set up or broke (the file gone for now, inotify's limits); tried again after the next change. */
  onError?: (path: string, error: Error) => void;
}

export interface FileWatch {
  close(): void;
}

const QUIET_MS = 100;

/**
 * Calls back when a file changes, in every way a file is replaced. Each file's directory is
 * watched as well as the file: Kubernetes updates a mounted ConfigMap by renaming a `..data`
 * symlink in the directory, which changes neither the file's path nor (until the old one is
 * deleted) anything the file's own watch sees. The file's watch follows its inode, through
 * symlinks, which an atomic replace leaves behind, so it is watched afresh after each change.
 * Watchers do not keep the process alive. The callback reads the file itself: a change of
 * something else in the directory costs a read that finds the same text.
 */
export function watchFiles(options: FileWatchOptions): FileWatch {
  const quietMs = options.quietMs ?? QUIET_MS;
  const fileWatchers = new Map<string, FSWatcher | undefined>();
  const directoryWatchers: Array<FSWatcher | undefined> = [];
  let quiet: NodeJS.Timeout | undefined;
  let closed = false;

  const changed = () => {
    if (closed) return;
    clearTimeout(quiet);
    quiet = setTimeout(settled, quietMs);
    quiet.unref();
  };

  function open(path: string): FSWatcher | undefined {
    try {
      const watcher = watch(path, { persistent: false }, changed);
      watcher.on('error', (error: Error) => {
        watcher.close();
        options.onError?.(path, error);
      });
      return watcher;
    } catch (error) {
      options.onError?.(path, error as Error);
      return undefined;
    }
  }

  function settled() {
    if (closed) return;
    for (const path of options.paths) {
      fileWatchers.get(path)?.close();
      fileWatchers.set(path, open(path));
    }
    options.onChange();
  }

  for (const directory of new Set(options.paths.map((path) => dirname(path)))) directoryWatchers.push(open(directory));
  for (const path of options.paths) fileWatchers.set(path, open(path));

  return {
    close() {
      closed = true;
      clearTimeout(quiet);
      for (const watcher of [...directoryWatchers, ...fileWatchers.values()]) watcher?.close();
    },
  };
}
