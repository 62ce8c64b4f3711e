/**
 * One run per run folder: a run that did not choose its folder claims a new one with an exclusive
 * mkdir, and every run holds a lock file in its folder while it writes there, so two processes
 * started together never write the same checkpoints, config.json and event files.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { makeFolder } from './atomic';
import { UserError } from './log';

/** The lock file inside a run folder: `{"pid":..,"host":..,"started":..}` of the run writing it. */
export const LOCK_FILE = '.lock';

/**
 * Makes `folder`, or `folder-2`, `folder-3`, ... when another run holds that name (runs started
 * in the same second share their default name), and returns the one made. The mkdir itself is
 * the claim: of two processes asking for one name, exactly one gets it.
 */
export function claimNewFolder(folder: string): string {
  for (let n = 1, retries = 0; ; n++) {
    const candidate = n === 1 ? folder : `${folder}-${n}`;
    makeFolder(path.dirname(candidate));
    try {
      fs.mkdirSync(candidate);
      return candidate;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOENT: the parent (the shared `runs/`) was dropped meanwhile by a run that found it
      // empty; make it again and ask for the same name.
      if (code === 'ENOENT' && retries++ < MAX_RETRIES) n--;
      else if (code !== 'EEXIST') throw error;
    }
  }
}

/** Who holds a lock. `started` tells a live process from a later one given the same pid. */
interface Holder {
  pid: number;
  host: string;
  started: string;
}

/**
 * Locks the run folder `folder` for this process and returns the function that unlocks it (safe
 * to call more than once). A lock held by another live process is refused with a UserError
 * naming `flag` and the folder; one left by a process that is gone (killed) is taken over.
 */
export function lockRunFolder(folder: string, flag: string): () => void {
  const lock = path.join(folder, LOCK_FILE);
  const mine = JSON.stringify(ownIdentity());
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (createExclusive(lock, mine)) return unlocker(lock, mine);
    const seen = readLock(lock);
    if (seen === undefined) continue; // unlocked meanwhile: try again
    const holder = parseHolder(seen);
    if (holder === undefined && attempt < MAX_ATTEMPTS / 2) {
      sleep(RETRY_MS); // created a moment ago and not written yet
      continue;
    }
    if (holder !== undefined && isAlive(holder)) throw inUse(folder, flag, holder, lock);
    takeOver(lock, seen, mine);
  }
  throw new UserError(`cannot lock ${flag} ${folder}: its lock file ${lock} keeps changing; ` +
    'is another infogan run starting there?');
}

/** Whether the process that wrote `holder` still runs (on another host we cannot tell: yes). */
function isAlive(holder: Holder): boolean {
  if (holder.host !== os.hostname()) return true;
  if (!processAlive(holder.pid)) return false;
  const started = startTime(holder.pid);
  return holder.started === '' || started === '' || started === holder.started;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function inUse(folder: string, flag: string, holder: Holder, lock: string): UserError {
  const where = holder.host === os.hostname() ? '' : ` on ${holder.host}`;
  const gone = where ? `; if that run is gone, delete ${lock}` : '';
  return new UserError(`${flag} ${folder} is in use by another infogan run (pid ` +
    `${holder.pid}${where}); wait for it to end or choose another ${flag}${gone}`);
}

/**
 * Removes the dead run's lock `seen`, unless another process took it over first. A second file
 * made exclusively guards the check-then-remove, so that no process removes a lock another has
 * just made in its place.
 */
function takeOver(lock: string, seen: string, mine: string): void {
  const guard = `${lock}.takeover`;
  if (!createExclusive(guard, mine)) {
    // Another run is taking the lock over; a guard left by one killed doing so is removed.
    const other = parseHolder(readLock(guard) ?? '');
    if (other !== undefined && !isAlive(other)) fs.rmSync(guard, { force: true });
    else sleep(RETRY_MS);
    return;
  }
  try {
    if (readLock(lock) === seen) fs.rmSync(lock, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** Removes the lock when it is still this process's; later calls do nothing. */
function unlocker(lock: string, mine: string): () => void {
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (readLock(lock) === mine) fs.rmSync(lock, { force: true });
  };
}

/** Creates `file` holding `text` unless it exists; false when it does. */
function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** The lock's text, or undefined when there is no lock. */
function readLock(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const holder = JSON.parse(text) as Partial<Holder>;
    if (!Number.isInteger(holder.pid) || typeof holder.host !== 'string') return undefined;
    return { pid: holder.pid!, host: holder.host, started: String(holder.started ?? '') };
  } catch {
    return undefined;
  }
}

function ownIdentity(): Holder {
  return { pid: process.pid, host: os.hostname(), started: startTime(process.pid) };
}

/** When `pid` started, in clock ticks after boot (/proc/<pid>/stat); '' without /proc. */
function startTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: state is field 3, starttime 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Times claimNewFolder asks again for a name whose parent vanished. */
const MAX_RETRIES = 5;

/** Tries at the lock before giving up, RETRY_MS apart where it waits on another process. */
const MAX_ATTEMPTS = 40;
const RETRY_MS = 10;
