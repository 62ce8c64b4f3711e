/**
 * Writes that never leave a half-written file: write a temporary file beside the target,
 * fsync it, rename it over the target, then fsync the folder so the rename itself is durable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

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
 * Creates `folder` and any missing parents. Where a recursive mkdir reports only ENOENT (as on a
 * read-only file system), retries the first missing folder alone so the error names the real cause.
 */
export function makeFolder(folder: string): void {
  try {
    fs.mkdirSync(folder, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    let missing = path.resolve(folder);
    while (!fs.existsSync(path.dirname(missing))) missing = path.dirname(missing);
    fs.mkdirSync(missing);
    throw error;
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
