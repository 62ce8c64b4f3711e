/**
 * Training curves for the explorer: the objective scalars of a run's TensorBoard event files.
 *
 * A small reader of its own: TFRecord framing (each record's CRCs checked; a torn last record
 * ends the file) and just enough protobuf to pull `simple_value` scalars out of Events
 * (Event.step = 2, Event.summary = 5, Summary.value = 1, Value.tag = 1, Value.simple_value = 2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { maskedCrc32c } from '../tensorboard/crc32c';

/** The scalars the page plots, as the trainer names them. */
export const CURVE_TAGS = ['discriminator_objective', 'generator_objective',
  'mutual_info_objective'] as const;

/** Most points sent per curve; longer runs are averaged into this many buckets. */
export const MAX_POINTS = 400;

/** One curve: steps ascending and the value at each. */
export interface Curve {
  tag: string;
  steps: number[];
  values: number[];
}

export interface Curves {
  curves: Curve[];
  /** Event files read. */
  files: number;
  /** Why some file was not read completely (damaged records), if one was not. */
  problems: string[];
}

/**
 * Reads every `events.out.tfevents.*` file in `logdir` (oldest first; a later file's value for a
 * step replaces an earlier one, as after a resume) and returns the CURVE_TAGS curves.
 */
export function readCurves(logdir: string, tags: readonly string[] = CURVE_TAGS): Curves {
  let names: string[];
  try {
    names = fs.readdirSync(logdir).filter((name) => name.startsWith('events.out.tfevents.'));
  } catch {
    return { curves: [], files: 0, problems: [] };
  }
  names.sort(compareEventFiles);
  const points = new Map<string, Map<number, number>>(tags.map((tag) => [tag, new Map()]));
  const problems: string[] = [];
  for (const name of names) {
    const file = path.join(logdir, name);
    const problem = readScalars(fs.readFileSync(file), points);
    if (problem) problems.push(`${file}: ${problem}`);
  }
  const curves = tags.map((tag) => toCurve(tag, points.get(tag)!))
    .filter((curve) => curve.steps.length > 0);
  return { curves, files: names.length, problems };
}

/** `events.out.tfevents.<unixtime>.<host>[.N]`: by time, then by suffix. */
function compareEventFiles(a: string, b: string): number {
  const time = (name: string) => Number(/^events\.out\.tfevents\.(\d+)/.exec(name)?.[1] ?? 0);
  return time(a) - time(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Adds the wanted scalars of one file to `points`; returns what stopped it early, if anything. */
function readScalars(bytes: Buffer, points: Map<string, Map<number, number>>): string | null {
  let offset = 0;
  while (offset + 12 <= bytes.length) {
    const length = Number(bytes.readBigUInt64LE(offset));
    if (maskedCrc32c(bytes, offset, offset + 8) !== bytes.readUInt32LE(offset + 8)) {
      return `bad record length checksum at byte ${offset}`;
    }
    const start = offset + 12;
    const end = start + length;
    if (end + 4 > bytes.length) return null; // a record still being written
    if (maskedCrc32c(bytes, start, end) !== bytes.readUInt32LE(end)) {
      return `bad record checksum at byte ${offset}`;
    }
    try {
      readEvent(bytes.subarray(start, end), points);
    } catch (error) {
      return `undecodable event at byte ${offset} (${(error as Error).message})`;
    }
    offset = end + 4;
  }
  return null;
}

function readEvent(event: Buffer, points: Map<string, Map<number, number>>): void {
  let step = 0;
  const summaries: Buffer[] = [];
  for (const field of fields(event)) {
    if (field.number === 2 && field.varint !== undefined) step = Number(field.varint);
    if (field.number === 5 && field.bytes) summaries.push(field.bytes);
  }
  for (const summary of summaries) {
    for (const value of fields(summary)) {
      if (value.number !== 1 || !value.bytes) continue;
      let tag = '';
      let simple: number | undefined;
      for (const part of fields(value.bytes)) {
        if (part.number === 1 && part.bytes) tag = part.bytes.toString('utf8');
        if (part.number === 2 && part.fixed32) simple = part.fixed32.readFloatLE(0);
      }
      if (simple !== undefined && Number.isFinite(simple)) points.get(tag)?.set(step, simple);
    }
  }
}

interface Field {
  number: number;
  varint?: bigint;
  bytes?: Buffer;
  fixed32?: Buffer;
}

/** The fields of one protobuf message, in order. */
function* fields(message: Buffer): Generator<Field> {
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (offset >= message.length) throw new Error('varint past the end');
      const byte = message[offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new Error('varint too long');
  };
  const take = (n: number): Buffer => {
    if (offset + n > message.length) throw new Error('field past the end');
    offset += n;
    return message.subarray(offset - n, offset);
  };
  while (offset < message.length) {
    const key = Number(varint());
    const number = key >>> 3;
    switch (key & 7) {
      case 0: yield { number, varint: varint() }; break;
      case 1: take(8); break;
      case 2: yield { number, bytes: take(Number(varint())) }; break;
      case 5: yield { number, fixed32: take(4) }; break;
      default: throw new Error(`wire type ${key & 7}`);
    }
  }
}

/** Sorted by step, averaged into at most MAX_POINTS buckets of consecutive points. */
function toCurve(tag: string, points: Map<number, number>): Curve {
  const sorted = [...points].sort(([a], [b]) => a - b);
  const bucket = Math.ceil(sorted.length / MAX_POINTS);
  const steps: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < sorted.length; i += bucket) {
    const group = sorted.slice(i, i + bucket);
    steps.push(group[group.length - 1][0]);
    values.push(group.reduce((sum, [, v]) => sum + v, 0) / group.length);
  }
  return { tag, steps, values };
}
