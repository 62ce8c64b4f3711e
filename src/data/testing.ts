/**
 * Helpers for the data layer's tests: where the shared real data sets are, and temp folders.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MemoryLogger } from '../util/log';

/**
 * The shared data sets (`../shared/datasets` from the project root, as in every checkout and CI),
 * or INFOGAN_DATASETS when set.
 */
export function datasetsRoot(): string {
  if (process.env.INFOGAN_DATASETS) return process.env.INFOGAN_DATASETS;
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return path.join(path.dirname(dir), 'shared', 'datasets');
}

/** A path inside the shared data sets. */
export function dataset(...parts: string[]): string {
  return path.join(datasetsRoot(), ...parts);
}

/** A fresh folder under the OS temp folder; `cleanup` removes it. */
export function tempFolder(label: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `infogan-${label}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A logger that keeps lines, plus a helper to find the one line containing `text`. */
export function testLogger(): MemoryLogger & { lineWith(text: string): string | undefined } {
  const log = new MemoryLogger() as MemoryLogger & { lineWith(text: string): string | undefined };
  log.lineWith = (text: string) => log.lines.find((line) => line.includes(text));
  return log;
}

/**
 * How to run a child process as a user whom file permissions bind: as this process's own user,
 * or, when that is root (which reads everything), as nobody (65534). Null when nobody cannot read
 * the code the child would run (a checkout inside a private folder): such a test cannot run here.
 */
export function permissionBoundUser(): { uid?: number; gid?: number } | null {
  if (process.getuid?.() !== 0) return {};
  const nobody = { uid: 65534, gid: 65534 };
  const probe = spawnSync(process.execPath,
    ['-e', `require(${JSON.stringify(require.resolve('./index'))})`], nobody);
  return probe.status === 0 ? nobody : null;
}
