/**
 * EventWriter: TensorBoard logs in the real event-file format, from TypeScript alone.
 *
 * One file per run, `events.out.tfevents.<unixtime>.<hostname>`, holding TFRecord-framed `Event`
 * protobufs; the first says `file_version: "brain.Event:2"`. Events are buffered and written every
 * `flushSeconds`, each batch with one write call, so a killed process leaves a file whose only
 * possible damage is a partial last record, which TensorBoard skips and `resume` cuts off.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { makeFolder } from '../util/atomic';
import { Logger, UserError } from '../util/log';
import { computeHistogram } from './histogram';
import { frameRecord } from './record';
import { findResumePoint } from './resume';
import { EventMessage } from './schema';
import {
  experimentValue,
  histogramValue,
  HParamValue,
  HPARAMS_TAGS,
  imageValue,
  scalarValue,
  sessionStartValue,
  SummaryValue,
  textValue,
} from './summaries';

/** Options of {@link EventWriter}. */
export interface EventWriterOptions {
  /**
   * Append to the newest event file already in `logdir` (after cutting off a partial last record),
   * and leave out any value whose step is not past the last step that tag has in the folder.
   * Default: false (a new file).
   */
  resume?: boolean;
  /** Seconds between writes of buffered events; 0 writes each event at once. Default: 2. */
  flushSeconds?: number;
  /** Receives what resuming found and what was left out. Default: none. */
  logger?: Logger;
  /** Seconds since the epoch, for `wall_time` and the file name (tests). Default: system clock. */
  clock?: () => number;
}

/** The first event of every file names the format version. */
const FILE_VERSION = 'brain.Event:2';
/** Write early once this much is buffered, so images do not pile up in memory. */
const MAX_PENDING_BYTES = 1 << 20;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Writes scalars, images, histograms, text and hyperparameters for one run into one event file.
 * Synchronous and cheap: a scalar costs a few microseconds; disk writes happen on flush.
 *
 * Install no exit hook for it: call `flush()` (or `close()`) when the run ends or is interrupted.
 */
export class EventWriter {
  /** The event file being written. */
  readonly file: string;
  private readonly fd: number;
  private readonly clock: () => number;
  private readonly logger?: Logger;
  private readonly flushEveryEvent: boolean;
  private readonly timer?: NodeJS.Timeout;
  /** Per tag, the last step an earlier run wrote; values at or before it are left out. */
  private readonly resumedSteps: Map<string, number>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private staleValues = 0;
  /** Histogram tags already reported for NaN or infinite values. */
  private readonly nonFiniteTags = new Set<string>();
  private failure?: Error;
  private closed = false;

  /** Opens (with `resume`, reopens) the event file in `logdir`, creating the folder if needed. */
  constructor(
    readonly logdir: string,
    options: EventWriterOptions = {},
  ) {
    const flushSeconds = options.flushSeconds ?? 2;
    if (!Number.isFinite(flushSeconds) || flushSeconds < 0) {
      throw new RangeError(`Expected flushSeconds >= 0 but got ${flushSeconds}`);
    }
    this.clock = options.clock ?? (() => Date.now() / 1000);
    this.logger = options.logger;
    this.flushEveryEvent = flushSeconds === 0;
    const now = this.clock();
    const opened = openEventFile(logdir, options.resume ?? false, now, this.logger);
    this.file = opened.file;
    this.fd = opened.fd;
    this.resumedSteps = opened.lastSteps;
    if (opened.empty) this.writeEvent({ wallTime: now, fileVersion: FILE_VERSION }, true);
    if (!this.flushEveryEvent) {
      this.timer = setInterval(() => this.flushFromTimer(), flushSeconds * 1000);
      this.timer.unref();
    }
  }

  /** Logs `value` (stored as float32) under `tag` at `step`. */
  scalar(tag: string, value: number, step: number): void {
    if (typeof value !== 'number') {
      throw new TypeError(`Expected a number for '${tag}' but got ${value}`);
    }
    this.writeSummary(step, scalarValue(tag, value));
  }

  /**
   * Logs an encoded PNG of `width` x `height`, `channels` 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
   * The bytes are stored as given; TensorBoard shows them as they are.
   */
  image(
    tag: string,
    png: Buffer,
    width: number,
    height: number,
    channels: number,
    step: number,
  ): void {
    checkPng(tag, png, width, height, channels);
    this.writeSummary(step, imageValue(tag, png, width, height, channels));
  }

  /**
   * Logs the distribution of `values` in 30 equal-width buckets. NaN and infinite values are left
   * out (and reported once per tag); when none is finite, nothing is logged.
   */
  histogram(tag: string, values: Float32Array | number[], step: number): void {
    this.checkCall(tag, step);
    if (this.isStale(tag, step)) return;
    const histogram = computeHistogram(values);
    if (histogram === undefined || histogram.nonFinite > 0) {
      this.reportNonFinite(tag, values.length, step);
    }
    if (histogram !== undefined) this.writeSummary(step, histogramValue(tag, histogram));
  }

  /** Logs markdown for TensorBoard's TEXT tab. */
  text(tag: string, markdown: string, step: number): void {
    if (typeof markdown !== 'string') {
      throw new TypeError(`Expected a string for '${tag}' but got ${markdown}`);
    }
    this.writeSummary(step, textValue(tag, markdown));
  }

  /**
   * Logs this run's hyperparameters for TensorBoard's HPARAMS tab (a `session_start_info`). With
   * `metrics` (scalar tags, e.g. `['loss/discriminator']`) it also logs an `experiment` naming the
   * hparam and metric columns; without, TensorBoard shows every hparam and scalar it finds. Written
   * at step 0, so a resumed run keeps the hyperparameters it first logged.
   */
  hparams(config: Record<string, HParamValue>, metrics?: string[]): void {
    for (const [name, value] of Object.entries(config)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        throw new TypeError(
          `Expected a string, number or boolean for hparam '${name}' but got ${value}`,
        );
      }
    }
    if (this.isStale(HPARAMS_TAGS.sessionStartInfo, 0)) return;
    const now = this.clock();
    if (metrics !== undefined) this.writeSummary(0, experimentValue(config, metrics, now));
    this.writeSummary(0, sessionStartValue(config, now));
  }

  /** Writes buffered events to the file now. */
  flush(): void {
    if (this.failure) throw this.failure;
    if (this.closed || this.pending.length === 0) return;
    const batch =
      this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    try {
      writeAll(this.fd, batch);
    } catch (error) {
      this.failure = new UserError(
        `cannot write TensorBoard events to ${this.file}: ${messageOf(error)}`,
      );
      throw this.failure;
    }
  }

  /** Flushes and closes the file; later calls to close or flush do nothing, other calls throw. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      clearInterval(this.timer);
      this.closed = true;
      fs.closeSync(this.fd);
    }
    if (this.staleValues > 0) {
      this.logger?.info(
        `tensorboard: left out ${this.staleValues} values at steps ` +
          `${path.basename(this.file)} already had`,
      );
    }
  }

  private writeSummary(step: number, value: SummaryValue): void {
    this.checkCall(value.tag, step);
    if (this.isStale(value.tag, step)) return;
    this.writeEvent({ wallTime: this.clock(), step, summary: { value: [value] } }, false);
  }

  private writeEvent(event: Record<string, unknown>, flushNow: boolean): void {
    const data = EventMessage.encode(event).finish();
    const record = frameRecord(data);
    this.pending.push(record);
    this.pendingBytes += record.length;
    if (flushNow || this.flushEveryEvent || this.pendingBytes >= MAX_PENDING_BYTES) this.flush();
  }

  private checkCall(tag: string, step: number): void {
    if (this.closed) throw new Error(`EventWriter for ${this.file} is closed`);
    if (this.failure) throw this.failure;
    if (typeof tag !== 'string' || tag.length === 0) {
      throw new TypeError(`Expected a non-empty tag but got ${JSON.stringify(tag)}`);
    }
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new RangeError(`Expected a whole step >= 0 for '${tag}' but got ${step}`);
    }
  }

  private isStale(tag: string, step: number): boolean {
    const last = this.resumedSteps.get(tag);
    if (last === undefined || step > last) return false;
    this.staleValues++;
    return true;
  }

  private reportNonFinite(tag: string, total: number, step: number): void {
    if (this.nonFiniteTags.has(tag)) return;
    this.nonFiniteTags.add(tag);
    this.logger?.warn(
      `tensorboard: histogram '${tag}' at step ${step} had NaN or infinite values among ` +
        `${total}; they are left out of its histograms (reported once per tag)`,
    );
  }

  private flushFromTimer(): void {
    try {
      this.flush();
    } catch {
      // Kept in this.failure and thrown by the next call, where the trainer can handle it.
      clearInterval(this.timer);
    }
  }
}

interface OpenedFile {
  file: string;
  fd: number;
  /** True when the file has no records yet and needs the file_version event. */
  empty: boolean;
  lastSteps: Map<string, number>;
}

function openEventFile(logdir: string, resume: boolean, now: number, logger?: Logger): OpenedFile {
  try {
    makeFolder(logdir);
    const point = resume ? findResumePoint(logdir, logger) : undefined;
    if (point) {
      const fd = fs.openSync(point.file, 'a');
      return { file: point.file, fd, empty: point.size === 0, lastSteps: point.lastSteps };
    }
    return { ...createEventFile(logdir, now), empty: true, lastSteps: new Map() };
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot write TensorBoard logs to ${logdir}: ${messageOf(error)}`);
  }
}

/** A new `events.out.tfevents.<unixtime>.<hostname>`, with a `.N` suffix if that name is taken. */
function createEventFile(logdir: string, now: number): { file: string; fd: number } {
  const base = path.join(logdir, `events.out.tfevents.${Math.floor(now)}.${os.hostname()}`);
  for (let attempt = 0; ; attempt++) {
    const file = attempt === 0 ? base : `${base}.${attempt}`;
    try {
      return { file, fd: fs.openSync(file, 'wx') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Writes all of `data`; a write to a regular file only comes back short when the disk is full. */
function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length;) done += fs.writeSync(fd, data, done, data.length - done);
}

function checkPng(tag: string, png: Buffer, width: number, height: number, channels: number): void {
  if (
    !(png instanceof Uint8Array) ||
    png.length < 24 ||
    !PNG_SIGNATURE.equals(png.subarray(0, 8))
  ) {
    throw new TypeError(`Expected PNG bytes for image '${tag}' but the data has no PNG signature`);
  }
  if (![1, 2, 3, 4].includes(channels)) {
    throw new RangeError(`Expected 1, 2, 3 or 4 channels for image '${tag}' but got ${channels}`);
  }
  // The IHDR chunk comes first: width and height as big-endian uint32 at bytes 16 and 20.
  const header = Buffer.from(png.buffer, png.byteOffset, 24);
  const pngWidth = header.readUInt32BE(16);
  const pngHeight = header.readUInt32BE(20);
  if (pngWidth !== width || pngHeight !== height) {
    throw new RangeError(
      `Expected image '${tag}' to be ${width}x${height} ` +
        `but its PNG header says ${pngWidth}x${pngHeight}`,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
