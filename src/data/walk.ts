/**
 * Lists every file under a folder, recursively, with what the cache key needs (size, mtime,
 * ctime).
 *
 * With the native binding the walk and a stat of every file happen in C++ on a worker thread and
 * come back packed (one string of names, three arrays of numbers): a cache hit needs nothing more,
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
  ctimeMs: number;
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
  /** As fs.Stats.ctimeMs: changed by any write, and by setting the mtime back. */
  ctimesMs: Float64Array;
  /** What could not be listed, in path order: see LeftOut. */
  leftOut: LeftOut[];
}

/**
 * Something under the folder left out of a listing: a file or sub-folder (relative path ending
 * in '/') that could not be read; a link to a folder above the root, which would list the tree it
 * is in (a link to `/`), or into /proc, /sys or /dev; a link to nothing, a pipe or a device; a
 * name that is not UTF-8; a run folder. A root that cannot be read fails the listing instead.
 */
export interface LeftOut {
  relative: string;
  reason: string;
}

/**
 * Every regular file under `root` (absolute), sorted by relative path (a stable order for the
 * cache key and for the seeded subset). Follows symbolic links, visits each real folder once,
 * skips hidden folders (`.git`, `.cache`) and any path in `exclude` (e.g. a cache folder inside
 * the data), and leaves out (and reports) what it cannot read. The same listing with or without
 * the binding, which stats a folder of many files on `threads` threads.
 */
export async function listFolder(
  root: string,
  exclude: string[] = [],
  threads = 1,
): Promise<FolderListing> {
  const native = imageBinding();
  if (!native) return packFiles(root, listFiles(root, exclude));
  const excluded = exclude.map((p) => path.resolve(p));
  const { names, sizes, mtimes, ctimes, leftOut } =
    await native.listFolder(root, excluded, threads);
  return { root, count: sizes.length, names, sizes, mtimesMs: mtimes, ctimesMs: ctimes,
    leftOut: leftOut
      .map(([relative, reason]) => ({ relative, reason: lowerFirst(reason) }))
      .sort(byPath) };
}

/** One object per file of a listing. */
export function filesOf(listing: FolderListing): FolderFile[] {
  const names = listing.count === 0 ? [] : listing.names.split('\0');
  return names.map((relative, i) => ({
    relative,
    absolute: path.join(listing.root, relative),
    size: listing.sizes[i],
    mtimeMs: listing.mtimesMs[i],
    ctimeMs: listing.ctimesMs[i],
  }));
}

function packFiles(root: string, { files, leftOut }: WalkedFiles): FolderListing {
  return {
    root,
    count: files.length,
    names: files.map((f) => f.relative).join('\0'),
    sizes: Float64Array.from(files, (f) => f.size),
    mtimesMs: Float64Array.from(files, (f) => f.mtimeMs),
    ctimesMs: Float64Array.from(files, (f) => f.ctimeMs),
    leftOut,
  };
}

/** Why a run folder (config.json, model.json and checkpoints/, as train writes) is left out. */
export const RUN_FOLDER = 'an infogan run folder';

/** What listFiles found. */
export interface WalkedFiles {
  files: FolderFile[];
  leftOut: LeftOut[];
}

/** listFolder's walk in JavaScript, one fs call per file: the path without the binding. */
export function listFiles(root: string, exclude: string[] = []): WalkedFiles {
  const files: FolderFile[] = [];
  const leftOut: LeftOut[] = [];
  const excluded = new Set(exclude.map((p) => path.resolve(p)));
  const visited = new Set<string>();
  const realRoot = fs.realpathSync(root);
  const isAncestor = (real: string) =>
    real !== realRoot && (real === path.parse(real).root || realRoot.startsWith(real + path.sep));
  // Links to folders are followed after every real folder, so a folder reached both ways is
  // listed under its real path.
  const linked: [string, string][] = [];
  const visit = (folder: string, prefix: string) => {
    let entries: fs.Dirent<Buffer>[];
    try {
      const real = fs.realpathSync(folder);
      if (visited.has(real)) return;
      visited.add(real);
      entries = fs.readdirSync(folder, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      if (prefix === '') throw error;
      leftOut.push({ relative: prefix, reason: errnoText(error) });
      return;
    }
    const names = entries.map((entry) => entry.name.toString('utf8'));
    if (prefix !== '' && ['config.json', 'model.json', 'checkpoints'].every((n) =>
      names.includes(n))) {
      leftOut.push({ relative: prefix, reason: RUN_FOLDER });
      return;
    }
    entries.forEach((entry, i) => {
      const name = names[i];
      const absolute = path.join(folder, name);
      if (excluded.has(absolute)) return;
      const relative = prefix + name;
      if (entry.isDirectory() && name.startsWith('.')) return;
      if (!Buffer.from(name, 'utf8').equals(entry.name)) {
        const slash = entry.isDirectory() ? '/' : '';
        leftOut.push({ relative: relative + slash, reason: 'a name that is not UTF-8' });
        return;
      }
      let stat: fs.Stats | undefined;
      if (entry.isSymbolicLink()) {
        try {
          stat = fs.statSync(absolute);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          leftOut.push({ relative, reason: code === 'ENOENT' ? 'a link to nothing' : errnoText(error) });
          return;
        }
        if (stat.isDirectory() && name.startsWith('.')) return;
        const real = fs.realpathSync(absolute);
        const system = ['/proc', '/sys', '/dev'].find((f) => real === f || real.startsWith(f + '/'));
        if (system) {
          const slash = stat.isDirectory() ? '/' : '';
          leftOut.push({ relative: relative + slash, reason: `a link into ${system}` });
          return;
        }
      }
      if (entry.isDirectory() || stat?.isDirectory()) {
        if (name.startsWith('.')) return;
        if (!stat) return visit(absolute, relative + '/');
        if (isAncestor(fs.realpathSync(absolute)))
          leftOut.push({ relative: relative + '/', reason: 'a link to a folder above the data set' });
        else linked.push([absolute, relative + '/']);
      } else if (entry.isFile() || stat?.isFile()) {
        try {
          const { size, mtimeMs, ctimeMs } = stat ?? fs.statSync(absolute);
          files.push({ relative, absolute, size, mtimeMs, ctimeMs });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ENOENT') leftOut.push({ relative, reason: errnoText(error) });
        }
      } else {
        leftOut.push({ relative, reason: 'not a regular file' });
      }
    });
  };
  visit(root, '');
  for (let i = 0; i < linked.length; i++) visit(...linked[i]);
  return { files: files.sort(byPath), leftOut: leftOut.sort(byPath) };
}

/** "Permission denied" (the C library's strerror) as "permission denied" (libuv's). */
function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function byPath(a: { relative: string }, b: { relative: string }): number {
  return a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0;
}

/** An fs error's reason as the native binding words it: "permission denied". */
export function errnoText(error: unknown): string {
  const message = (error as Error).message;
  return /^E[A-Z]+: ([^,]*)/.exec(message)?.[1] ?? message;
}

