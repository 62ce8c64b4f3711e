/**
 * Lists every file under a folder, recursively, with what the cache key needs (size, mtime).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One file found under the data set folder. */
export interface FolderFile {
  /** Path relative to the folder, with '/' separators on every platform. */
  relative: string;
  absolute: string;
  size: number;
  mtimeMs: number;
}

/**
 * Every regular file under `root`, sorted by relative path (a stable order for the cache key and
 * for the seeded subset). Follows symbolic links, visits each real folder once, skips hidden
 * folders (`.git`, `.cache`) and any path in `exclude` (e.g. a cache folder inside the data).
 */
export function listFiles(root: string, exclude: string[] = []): FolderFile[] {
  const files: FolderFile[] = [];
  const excluded = new Set(exclude.map((p) => path.resolve(p)));
  const visited = new Set<string>();
  const visit = (folder: string, prefix: string) => {
    const real = fs.realpathSync(folder);
    if (visited.has(real)) return;
    visited.add(real);
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const absolute = path.join(folder, entry.name);
      if (excluded.has(absolute)) continue;
      const relative = prefix + entry.name;
      const stat = entry.isSymbolicLink() ? statOrUndefined(absolute) : undefined;
      if (entry.isDirectory() || stat?.isDirectory()) {
        if (!entry.name.startsWith('.')) visit(absolute, relative + '/');
      } else if (entry.isFile() || stat?.isFile()) {
        const { size, mtimeMs } = stat ?? fs.statSync(absolute);
        files.push({ relative, absolute, size, mtimeMs });
      }
    }
  };
  visit(root, '');
  return files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined; // a dangling link
  }
}
