/**
 * Writes that never leave a half-written file: write a temporary file beside the target,
 * fsync it, rename it over the target, then fsync the folder so the rename itself is durable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { UserError } from './log';

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const temp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(temp, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) {
      // One write call takes at most 2 GiB; large checkpoints go in 1 GiB pieces.
      written += fs.writeSync(fd, bytes, written, Math.min(bytes.length - written, 2 ** 30));
    }
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  fs.renameSync(temp, file);
  syncFolder(path.dirname(file));
}

/**
 * Creates `folder` and any missing parents, one mkdir each from the outermost missing one down.
 * Not Node's recursive mkdir: on a file system that answers ENOENT for every new name (/proc,
 * /sys) that one retries forever, and its errors can name a parent rather than the real cause.
 * A link to a folder not yet made (a dangling link) is followed and its target made, as writing
 * a file through such a link makes the file.
 */
export function makeFolder(folder: string, links = 0, retries = 0): void {
  for (const at of missingFolders(folder).reverse()) {
    try {
      fs.mkdirSync(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const target = code === 'EEXIST' && danglingTarget(at);
      if (target && links < MAX_LINKS) {
        makeFolder(target, links + 1);
      } else if (code === 'ENOENT' && !fs.existsSync(path.dirname(at)) && retries < MAX_RETRIES) {
        // A parent made a moment ago was removed meanwhile (another run dropping the shared
        // `runs/` it found empty): make what is missing again.
        return makeFolder(folder, links, retries + 1);
      } else if (code !== 'EEXIST' || !isFolder(at)) {
        throw error; // made meanwhile by someone else is fine, as long as it is a folder
      }
    }
  }
  if (!isFolder(folder)) {
    const error: NodeJS.ErrnoException = new Error(`ENOTDIR: not a directory, mkdir '${folder}'`);
    error.code = 'ENOTDIR';
    throw error;
  }
}

/**
 * Writes an output the user named by `flag` (atomically, making its folder); a disk error is one
 * line naming the flag, the file and the errno. `probe` only checks, before the work, that it could.
 */
export function writeOutputFile(file: string, data: Uint8Array | string, flag: string,
  probe = false): void {
  try {
    makeFolder(path.dirname(path.resolve(file)));
    if (probe) {
      const test = `${file}.probe-${process.pid}`;
      fs.writeFileSync(test, '');
      fs.rmSync(test);
    } else {
      writeFileAtomic(file, data);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) throw error;
    throw new UserError(`cannot write ${flag} ${file} (${code}); choose a file you can write`);
  }
}

/** `folder` and those of its parents that do not exist yet, innermost first. */
export function missingFolders(folder: string): string[] {
  const missing: string[] = [];
  for (let at = path.resolve(folder); !fs.existsSync(at); at = path.dirname(at)) {
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  return missing;
}

/** Links followed in a row before giving up, as the kernel's own limit (ELOOP). */
const MAX_LINKS = 40;

/** Times makeFolder starts again when a parent it made vanishes before its child is made. */
const MAX_RETRIES = 5;

/** Where the link at `at` points (absolute) when it is a link to nothing; else undefined. */
function danglingTarget(at: string): string | undefined {
  try {
    if (!fs.lstatSync(at).isSymbolicLink() || fs.existsSync(at)) return undefined;
    return path.resolve(path.dirname(at), fs.readlinkSync(at));
  } catch {
    return undefined;
  }
}

function isFolder(at: string): boolean {
  try {
    return fs.statSync(at).isDirectory();
  } catch {
    return false;
  }
}

function syncFolder(folder: string): void {
  try {
    const fd = fs.openSync(folder, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename has still happened.
  }
}
