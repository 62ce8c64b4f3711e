/**
 * The on-disk cache of a decoded image folder, so that a second run on the same folder starts in
 * a fraction of a second instead of decoding every file again.
 *
 * File layout (one file per folder and preprocessing settings):
 *   bytes 0-7    magic `IGANDS03`
 *   bytes 8-11   header length H, uint32 little-endian
 *   bytes 12-15  checksum of the header (checksum.ts), uint32 little-endian
 *   bytes 16-19  checksum of the payload, uint32 little-endian
 *   bytes 20-43  zero
 *   bytes 44..   header: UTF-8 JSON (CacheHeader; the labels' typed arrays as base64)
 *   then         payload: the pixels, [count, height, width, channels] uint8
 * A cache is used only when both checksums hold and its key (file list and settings) matches.
 *
 * With the native binding the file is mapped, not read: the pixels handed out are the page
 * cache's own pages, copied only where something writes to them. A cache file is therefore never
 * changed in place (writeCache writes a new file and renames it over the old), since a mapped file
 * cut short under a reader would crash it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { makeFolder } from '../util/atomic';
import type { Logger } from '../util/log';
import { checksum, checksumAsync } from './checksum';
import { imageBinding } from './native';
import type { DatasetLabels } from './types';

const MAGIC = Buffer.from('IGANDS03', 'ascii');
const PREFIX_BYTES = 44;

/** What a cache holds besides the pixels. */
export interface CacheHeader {
  /** Hash of the file list and the settings the set was built from. */
  key: string;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** Relative path of each image, aligned with the pixels. */
  files: string[];
  /** Log lines from the build (skipped files, channel choice), repeated when the cache is used. */
  notes: string[];
  /** The labels found for `files` when the cache was written. */
  labels?: SetLabels;
}

/** Labels found for a set's files, and what they were found from. */
export interface SetLabels {
  /** The label file read, with its size and mtime then; null when there was none. */
  source: FileStamp | null;
  /** What finding them logged, repeated when they are reused. */
  lines: string[];
  labels?: DatasetLabels;
}

/** A file's identity for deciding whether what was read from it is still current. */
export interface FileStamp {
  file: string;
  size: number;
  mtimeMs: number;
}

/** A cache's header and pixels. */
export interface CachedSet extends CacheHeader {
  pixels: Uint8Array;
}

/** SHA-256 of everything given, as hex; strings are hashed as UTF-8 with a separator. */
export function hashOf(...parts: (string | Uint8Array)[]): string {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/**
 * The cache at `file` if it exists and is intact, whatever its key: the caller compares keys (and
 * calls discardCache on a mismatch). A damaged cache is logged in one line and deleted (it is
 * rebuilt, never trusted); the result is then undefined, as when there is none. The pixels'
 * checksum is computed on `threads` threads off the JavaScript thread.
 */
export async function readCache(file: string, log: Logger, threads = 1):
  Promise<CachedSet | undefined> {
  let result: CachedSet | string;
  try {
    if (!fs.existsSync(file)) return undefined;
    result = await readVerified(fileBytes(file), threads);
  } catch (error) {
    result = `unreadable (${(error as Error).message})`;
  }
  if (typeof result !== 'string') return result;
  discardCache(file, result, log);
  return undefined;
}

/** Logs why the cache at `file` cannot be used, and deletes it. */
export function discardCache(file: string, problem: string, log: Logger): void {
  log.info(`cache ${file} is ${problem}; rebuilding it`);
  try {
    fs.rmSync(file, { force: true });
  } catch (error) {
    // Something that is not a cache (a folder) has its name: leave it; writing will warn.
    log.warn(`could not remove ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

/** The whole file: mapped when the binding is built and the file system allows, else read. */
function fileBytes(file: string): Uint8Array {
  const native = imageBinding();
  try {
    if (native) return new Uint8Array(native.mapFile(file));
  } catch {
    // Read it instead; if it cannot be read either, that error is the one reported.
  }
  return fs.readFileSync(file);
}

/** The cached set in `bytes`, or a string saying why it cannot be used. */
async function readVerified(bytes: Uint8Array, threads: number): Promise<CachedSet | string> {
  if (bytes.length < PREFIX_BYTES) return `damaged (only ${bytes.length} bytes)`;
  const prefix = Buffer.from(bytes.buffer, bytes.byteOffset, PREFIX_BYTES);
  const magic = prefix.subarray(0, MAGIC.length);
  if (!magic.equals(MAGIC)) {
    const ours = magic.subarray(0, 6).equals(MAGIC.subarray(0, 6));
    return ours ? `from another infogan version (${magic})` : 'not an infogan cache (bad magic)';
  }
  const headerBytes = prefix.readUInt32LE(8);
  if (headerBytes > bytes.length - PREFIX_BYTES)
    return `damaged (header of ${headerBytes} bytes overruns the file)`;
  const header = bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes);
  // The payload is a view of `bytes` (a plain Uint8Array, as a decoded set's), never a copy;
  // it is summed on other threads while this one checks and parses the header.
  const start = bytes.byteOffset + PREFIX_BYTES + headerBytes;
  const pixels = new Uint8Array(bytes.buffer, start, bytes.byteOffset + bytes.length - start);
  const pixelSum = checksumAsync(pixels, threads);
  if (checksum(header) !== prefix.readUInt32LE(12)) {
    await pixelSum;
    return 'damaged (checksum mismatch)';
  }
  const text = Buffer.from(header.buffer, header.byteOffset, header.length).toString('utf8');
  let parsed: CacheHeader;
  try {
    parsed = JSON.parse(text) as CacheHeader;
  } finally {
    await pixelSum.catch(() => undefined);
  }
  if (parsed.labels) parsed.labels = typedArraysFromBase64(parsed.labels);
  if (await pixelSum !== prefix.readUInt32LE(16)) return 'damaged (checksum mismatch)';
  const expected = parsed.count * parsed.height * parsed.width * parsed.channels;
  if (pixels.length !== expected)
    return `damaged (${pixels.length} pixel bytes, expected ${expected})`;
  return { ...parsed, pixels };
}

/**
 * Writes the cache atomically: to a temporary file beside it, then renamed over it, so a reader
 * never sees half a file. A failure (read-only disk, full disk) is one warning; the run goes on.
 */
export function writeCache(file: string, set: CachedSet, log: Logger): void {
  const { key, count, height, width, channels, files, notes, labels, pixels } = set;
  const fields: CacheHeader = { key, count, height, width, channels, files, notes, labels };
  const header = Buffer.from(JSON.stringify(fields, typedArrayToBase64), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(header.length, 8);
  prefix.writeUInt32LE(checksum(header), 12);
  prefix.writeUInt32LE(checksum(pixels), 16);
  const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    makeFolder(path.dirname(file));
    const descriptor = fs.openSync(temporary, 'wx');
    try {
      for (const part of [prefix, header, pixels]) writeAll(descriptor, part);
    } finally {
      fs.closeSync(descriptor);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // Never made (the folder could not be): nothing to remove.
    }
    log.warn(`could not write the data cache ${file}: ${(error as Error).message}`);
  }
}

function writeAll(descriptor: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) {
    done += fs.writeSync(descriptor, bytes, done, bytes.length - done);
  }
}

const TYPED_ARRAYS = { Int8Array, Int32Array, Float32Array };
type TypedArrayName = keyof typeof TYPED_ARRAYS;

/** JSON.stringify replacer: a typed array (the labels' values) as its name and base64 bytes. */
function typedArrayToBase64(_key: string, value: unknown): unknown {
  const name = ArrayBuffer.isView(value) && value.constructor.name;
  if (!name || !Object.hasOwn(TYPED_ARRAYS, name)) return value;
  const { buffer, byteOffset, byteLength } = value as ArrayBufferView;
  const base64 = Buffer.from(buffer, byteOffset, byteLength).toString('base64');
  return { typedArray: name, base64 };
}

/** `value` (the labels from a header) with typedArrayToBase64 undone throughout. */
function typedArraysFromBase64<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const encoded = value as { typedArray?: TypedArrayName; base64?: string };
  if (typeof encoded.typedArray === 'string' && typeof encoded.base64 === 'string') {
    const bytes = Buffer.from(encoded.base64, 'base64');
    const Type = TYPED_ARRAYS[encoded.typedArray];
    const array = new Type(bytes.length / Type.BYTES_PER_ELEMENT);
    new Uint8Array(array.buffer).set(bytes);
    return array as T;
  }
  const fields = value as Record<string, unknown>;
  for (const [key, field] of Object.entries(fields)) fields[key] = typedArraysFromBase64(field);
  return value;
}
