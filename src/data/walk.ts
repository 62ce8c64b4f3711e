/**
 * Lists every file under a folder, recursively, with what the cache key needs (size, mtime).
 *
 * With the native binding the walk and a stat of every file happen in C++ on a worker thread and
 * come back packed (one string of names, two arrays of numbers): a cache hit needs nothing more,
 * and a folder of 10,000 files costs no 10,000 JavaScript calls. Without it, fs does the same.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { imageBinding } from './native';

/** One file found under the data set folder. */
export interface FolderFile {
  /** Path relative to the folder, with '/' separators on every platform. */
  relative: string;
  absolute: string;
  size: number;
  mtimeMs: number;
}

/** Every file under a folder, packed: the file list without an object per file. */
export interface FolderListing {
  /** The folder, absolute. */
  root: string;
  count: number;
  /** Relative paths as in FolderFile, in order, joined by '\0' (which no file name holds). */
  names: string;
  sizes: Float64Array;
  /** As fs.Stats.mtimeMs. */
  mtimesMs: Float64Array;
}

/**
 * Every regular file under `root` (absolute), sorted by relative path (a stable order for the
 * cache key and for the seeded subset). Follows symbolic links, visits each real folder once,
 * skips hidden folders (`.git`, `.cache`) and any path in `exclude` (e.g. a cache folder inside
 * the data). The same listing with or without the binding, which stats a folder of many files
 * on `threads` threads.
 */
export async function listFolder(
  root: string,
  exclude: string[] = [],
  threads = 1,
): Promise<FolderListing> {
  const native = imageBinding();
  if (!native) return packFiles(root, listFiles(root, exclude));
  const excluded = exclude.map((p) => path.resolve(p));
  const { names, sizes, mtimes } = await native.listFolder(root, excluded, threads);
  return { root, count: sizes.length, names, sizes, mtimesMs: mtimes };
}

/** One object per file of a listing. */
export function filesOf(listing: FolderListing): FolderFile[] {
  const names = listing.count === 0 ? [] : listing.names.split('\0');
  return names.map((relative, i) => ({
    relative,
    absolute: path.join(listing.root, relative),
    size: listing.sizes[i],
    mtimeMs: listing.mtimesMs[i],
  }));
}

function packFiles(root: string, files: FolderFile[]): FolderListing {
  return {
    root,
    count: files.length,
    names: files.map((f) => f.relative).join('\0'),
    sizes: Float64Array.from(files, (f) => f.size),
    mtimesMs: Float64Array.from(files, (f) => f.mtimeMs),
  };
}

/** listFolder's walk in JavaScript, one fs call per file: the path without the binding. */
export function listFiles(root: string, exclude: string[] = []): FolderFile[] {
  const files: FolderFile[] = [];
  const excluded = new Set(exclude.map((p) => path.resolve(p)));
  const visited = new Set<string>();
  // Links to folders are followed after every real folder, so a folder reached both ways is
  // listed under its real path.
  const linked: [string, string][] = [];
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
        if (entry.name.startsWith('.')) continue;
        if (stat) linked.push([absolute, relative + '/']);
        else visit(absolute, relative + '/');
      } else if (entry.isFile() || stat?.isFile()) {
        const { size, mtimeMs } = stat ?? fs.statSync(absolute);
        files.push({ relative, absolute, size, mtimeMs });
      }
    }
  };
  visit(root, '');
  for (let i = 0; i < linked.length; i++) visit(...linked[i]);
  return files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined; // a dangling link
  }
}
