/**
 * Picking up an event file where an earlier run left it: the newest file in the log folder, cut
 * back to its last whole record, and the last step already logged for each tag in every file there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Logger, UserError } from '../util/log';
import { RecordScan, scanRecordFile } from './record';
import { EventIndexMessage } from './schema';

/** Where to continue writing, and what is already there. */
export interface ResumePoint {
  /** The event file to append to. */
  file: string;
  /** Its size after any partial last record was cut off. */
  size: number;
  /** Per tag, the highest step found in any event file of the folder. */
  lastSteps: Map<string, number>;
}

/** Event files of `logdir`, oldest first: by the unix time in their name, then by name. */
export function listEventFiles(logdir: string): string[] {
  const timeOf = (name: string) => Number(/tfevents\.(\d+)/.exec(name)?.[1] ?? 0);
  return fs
    .readdirSync(logdir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.includes('tfevents'))
    .map((entry) => entry.name)
    .sort((a, b) => timeOf(a) - timeOf(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => path.join(logdir, name));
}

/**
 * Finds the newest event file in `logdir` and the last step per tag across all of them; undefined
 * when there is none. Cuts a damaged tail off the newest file (a record cut short when a run was
 * killed); refuses with a UserError when the damage is followed by good-looking data, since cutting
 * there would lose it.
 */
export function findResumePoint(logdir: string, logger?: Logger): ResumePoint | undefined {
  const files = listEventFiles(logdir);
  if (files.length === 0) return undefined;
  const lastSteps = new Map<string, number>();
  for (const file of files.slice(0, -1)) readSteps(file, 'r', lastSteps);
  const newest = files[files.length - 1];
  const scan = readSteps(newest, 'r+', lastSteps);
  const steps = [...lastSteps.values()];
  const lastStep = steps.length > 0 ? Math.max(...steps) : 0;
  logger?.info(
    `tensorboard: resuming ${path.basename(newest)}: ${scan.records} records, ` +
      `${lastSteps.size} tags, last step ${lastStep}`,
  );
  return { file: newest, size: scan.validEnd, lastSteps };

  function readSteps(file: string, flags: 'r' | 'r+', into: Map<string, number>): RecordScan {
    const fd = fs.openSync(file, flags);
    try {
      const scan = scanRecordFile(fd, (data) => indexEvent(data, into));
      if (flags === 'r+') repairTail(fd, file, scan, logger);
      return scan;
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Records the event's step for each of its tags; skips records that are not Events. */
function indexEvent(data: Buffer, lastSteps: Map<string, number>): void {
  let event: { step?: number; summary?: { value?: { tag?: string }[] } };
  try {
    event = EventIndexMessage.toObject(EventIndexMessage.decode(data), { longs: Number });
  } catch {
    return;
  }
  const step = event.step ?? 0;
  for (const { tag } of event.summary?.value ?? []) {
    if (tag === undefined) continue;
    const last = lastSteps.get(tag);
    if (last === undefined || step > last) lastSteps.set(tag, step);
  }
}

function repairTail(fd: number, file: string, scan: RecordScan, logger?: Logger): void {
  if (scan.damage === undefined) return;
  const name = path.basename(file);
  if (
    scan.damage === 'bad-data-crc' &&
    scan.damagedEnd !== undefined &&
    scan.damagedEnd < scan.size
  ) {
    throw new UserError(
      `cannot resume ${file}: the record at byte ${scan.validEnd} fails its checksum and ` +
        `${scan.size - scan.damagedEnd} bytes follow it; move the file aside to start a new one`,
    );
  }
  fs.ftruncateSync(fd, scan.validEnd);
  logger?.warn(
    `tensorboard: cut ${scan.size - scan.validEnd} bytes of a partial record (${scan.damage}) ` +
      `off the end of ${name}, after ${scan.records} whole records`,
  );
}
