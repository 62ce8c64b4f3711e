/**
 * The on-disk cache of a decoded image folder, so that a second run on the same folder starts in
 * a fraction of a second instead of decoding every file again.
 *
 * File layout (one file per folder and preprocessing settings):
 *   bytes 0-7    magic `IGANDS04`
 *   bytes 8-11   header length H, uint32 little-endian
 *   bytes 12-15  checksum of the header (checksum.ts), uint32 little-endian
 *   bytes 16-19  checksum of the payload, uint32 little-endian
 *   bytes 20-43  zero
 *   bytes 44..   header, H bytes: a uint32 little-endian J, J bytes of UTF-8 JSON (CacheHeader),
 *                then the blobs the JSON's bulky values were moved to, which it locates by
 *                [offset, length]: the file list as UTF-8 joined by '\0', and the labels' typed
 *                arrays as their bytes
 *   then         payload: the pixels, [count, height, width, channels] uint8
 * A cache is used only when both checksums hold and its key (file list and settings) matches.
 *
 * With the native binding the file is mapped, not read (MappedFile): the header is copied out of
 * the mapping, the payload is summed where it lies, and the pixels handed out are the page cache's
 * own pages, copied only where something writes to them. A cache file is therefore never changed
 * in place (writeCache writes a new file and renames it over the old), since a mapped file cut
 * short under a reader would crash it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { makeFolder } from '../util/atomic';
import type { Logger } from '../util/log';
import { CHECKSUM_BLOCK, checksum, checksumOfBlocks } from './checksum';
import { imageBinding, type MappedFile } from './native';
import type { DatasetLabels, SkippedFile } from './types';

const MAGIC = Buffer.from('IGANDS04', 'ascii');
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
  /** Every file and folder the build left out, and why. */
  skipped: SkippedFile[];
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
  /** Changed by any write, and by setting the mtime back (touch -r). */
  ctimeMs: number;
}

/** A cache's header and pixels, as written. */
export interface CachedSet extends CacheHeader {
  pixels: Uint8Array;
}

/** A cache found intact: its header, and its pixels once the caller keeps the set. */
export interface OpenedCache extends CacheHeader {
  /**
   * The pixels (with the binding, a view of the mapped file), once. Take them last: V8 counts
   * them as its own memory from then on, and collects garbage early at the allocations after.
   */
  takePixels(): Uint8Array;
  /** Lets go of the file without taking the pixels (a stale cache). */
  release(): void;
}

/** SHA-256 of everything given, as hex; strings are hashed as UTF-8 with a separator. */
export function hashOf(...parts: (string | Uint8Array)[]): string {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/**
 * The cache at `file` if it exists and is intact, whatever its key: the caller compares keys (and
 * calls release and discardCache on a mismatch). A damaged cache is logged in one line and
 * deleted (it is rebuilt, never trusted); the result is then undefined, as when there is none.
 * The pixels' checksum is computed on `threads` threads, this one among them, joined by the thread
 * of a folder listing (listFolder) that ends meanwhile.
 */
export function readCache(file: string, log: Logger, threads = 1): OpenedCache | undefined {
  let result: OpenedCache | string;
  try {
    // No cache; a folder in its place, left alone; or a cache folder that may not be searched:
    // writeCache says so.
    const stat = statOrUndefined(file);
    if (!stat || stat.isDirectory()) return undefined;
    // A pipe or device would block the read, or never end.
    result = stat.isFile() ? readVerified(openFile(file), threads) : 'not a regular file';
  } catch (error) {
    result = `unreadable (${(error as Error).message})`;
  }
  if (typeof result !== 'string') return result;
  discardCache(file, result, log);
  return undefined;
}

/** The file's stat, or undefined when there is none or it cannot be stat-ed (EACCES, ENOTDIR). */
function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
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

/** A cache file's bytes, read piece by piece. */
interface CacheFile {
  length: number;
  /** The `length` bytes at `offset`, a copy or a view. */
  read(offset: number, length: number): Uint8Array;
  /** The cache checksum of the `length` bytes at `offset`. */
  checksum(offset: number, length: number, threads: number): number;
  /** The bytes from `offset` to the end, for keeps. */
  take(offset: number): Uint8Array;
  close(): void;
}

/** The file, mapped when the binding is built and the file system allows, else read. */
function openFile(file: string): CacheFile {
  const native = imageBinding();
  let mapped: MappedFile | undefined;
  try {
    if (native) mapped = new native.MappedFile(file);
  } catch {
    // Read it instead; if it cannot be read either, that error is the one reported.
  }
  if (mapped) {
    const map = mapped;
    return {
      length: map.byteLength,
      read: (offset, length) => map.read(offset, length),
      checksum: (offset, length, threads) =>
        checksumOfBlocks(map.crc32cBlocks(offset, length, CHECKSUM_BLOCK, threads)),
      take: (offset) => new Uint8Array(map.take(), offset),
      close: () => map.close(),
    };
  }
  const bytes = fs.readFileSync(file);
  const view = (offset: number, length: number) =>
    new Uint8Array(bytes.buffer, bytes.byteOffset + offset, length);
  return {
    length: bytes.length,
    read: view,
    checksum: (offset, length, threads) => checksum(view(offset, length), threads),
    take: (offset) => view(offset, bytes.length - offset),
    close: () => undefined,
  };
}

/** The cache in `file` (closed unless it is returned), or a string saying why it is unusable. */
function readVerified(file: CacheFile, threads: number): OpenedCache | string {
  let result: OpenedCache | string = 'unreadable';
  try {
    result = verify(file, threads);
    return result;
  } finally {
    if (typeof result === 'string') file.close();
  }
}

function verify(file: CacheFile, threads: number): OpenedCache | string {
  if (file.length < PREFIX_BYTES) return `damaged (only ${file.length} bytes)`;
  const prefixBytes = file.read(0, PREFIX_BYTES);
  const prefix = Buffer.from(prefixBytes.buffer, prefixBytes.byteOffset, PREFIX_BYTES);
  const magic = prefix.subarray(0, MAGIC.length);
  if (!magic.equals(MAGIC)) {
    const ours = magic.subarray(0, 6).equals(MAGIC.subarray(0, 6));
    return ours ? `from another infogan version (${magic})` : 'not an infogan cache (bad magic)';
  }
  const headerBytes = prefix.readUInt32LE(8);
  if (headerBytes > file.length - PREFIX_BYTES)
    return `damaged (header of ${headerBytes} bytes overruns the file)`;
  const header = file.read(PREFIX_BYTES, headerBytes);
  if (checksum(header) !== prefix.readUInt32LE(12)) return 'damaged (checksum mismatch)';
  let fields: CacheHeader;
  try {
    fields = decodeHeader(header);
  } catch (error) {
    return `damaged (${(error as Error).message})`;
  }
  const start = PREFIX_BYTES + headerBytes;
  const pixelBytes = file.length - start;
  const expected = fields.count * fields.height * fields.width * fields.channels;
  if (pixelBytes !== expected) return `damaged (${pixelBytes} pixel bytes, expected ${expected})`;
  // Last, and the longest: the folder's listing, on other threads, ends meanwhile and helps.
  if (file.checksum(start, pixelBytes, threads) !== prefix.readUInt32LE(16))
    return 'damaged (checksum mismatch)';
  return { ...fields, takePixels: () => file.take(start), release: () => file.close() };
}

/**
 * Writes the cache atomically: to a temporary file beside it, then renamed over it, so a reader
 * never sees half a file. A failure (read-only disk, full disk) is one warning; the run goes on.
 */
export function writeCache(file: string, set: CachedSet, log: Logger): void {
  const { key, count, height, width, channels, files, notes, skipped, labels, pixels } = set;
  const fields: CacheHeader = { key, count, height, width, channels, files, notes, skipped, labels };
  const header = encodeHeader(fields);
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(header.length, 8);
  prefix.writeUInt32LE(checksum(header), 12);
  prefix.writeUInt32LE(checksum(pixels), 16);
  if (statOrUndefined(file)?.isDirectory()) {
    log.warn(`could not write the data cache ${file}: a folder has its name (not made by ` +
      'infogan, so left alone); remove it to cache this set');
    return;
  }
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
    const bytes = PREFIX_BYTES + header.length + pixels.length;
    const size = bytes < 2 ** 20
      ? `${Math.ceil(bytes / 2 ** 10)} kB`
      : `${Math.round(bytes / 2 ** 20)} MB`;
    log.info(`cached the decoded images in ${file} (${size}), for the next run`);
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

/** Where a blob lies among the header's blobs: [offset, length]. */
type BlobPlace = [number, number];

/**
 * The header's bytes: the fields as JSON, with the file list and every typed array (the labels'
 * values) moved out to blobs after it, where reading them back needs no parsing.
 */
function encodeHeader(fields: CacheHeader): Buffer {
  const blobs: Uint8Array[] = [];
  let blobBytes = 0;
  const place = (bytes: Uint8Array): BlobPlace => {
    blobs.push(bytes);
    blobBytes += bytes.length;
    return [blobBytes - bytes.length, bytes.length];
  };
  const { files, ...rest } = fields;
  const placed = { ...rest, files: { text: place(Buffer.from(files.join('\0'), 'utf8')) } };
  const json = Buffer.from(JSON.stringify(placed, (_key, value: unknown) => {
    const name = ArrayBuffer.isView(value) && value.constructor.name;
    if (!name || !Object.hasOwn(TYPED_ARRAYS, name)) return value;
    const { buffer, byteOffset, byteLength } = value as ArrayBufferView;
    return { typedArray: name, blob: place(new Uint8Array(buffer, byteOffset, byteLength)) };
  }), 'utf8');
  const jsonLength = Buffer.alloc(4);
  jsonLength.writeUInt32LE(json.length);
  return Buffer.concat([jsonLength, json, ...blobs]);
}

/**
 * encodeHeader undone. Throws on bytes it did not write, which the header's checksum leaves to
 * a cache from a faulty writer.
 */
function decodeHeader(header: Uint8Array): CacheHeader {
  const bytes = Buffer.from(header.buffer, header.byteOffset, header.length);
  const jsonLength = bytes.readUInt32LE(0);
  const blobs = bytes.subarray(4 + jsonLength);
  const blob = ([offset, length]: BlobPlace): Buffer => {
    if (!(offset >= 0 && length >= 0 && offset + length <= blobs.length))
      throw new Error('a blob outside the header');
    return blobs.subarray(offset, offset + length);
  };
  const json = bytes.toString('utf8', 4, 4 + jsonLength);
  const parsed = JSON.parse(json, (_key, value: { typedArray?: string; blob?: BlobPlace }) => {
    if (typeof value?.typedArray !== 'string') return value;
    const Type = TYPED_ARRAYS[value.typedArray as TypedArrayName];
    if (!Type) throw new Error(`an unknown typed array ${value.typedArray}`);
    return new Type(new Uint8Array(blob(value.blob!)).buffer); // a copy, aligned
  }) as Omit<CacheHeader, 'files'> & { files: { text: BlobPlace } };
  const text = blob(parsed.files.text).toString('utf8');
  return { ...parsed, skipped: parsed.skipped ?? [], files: parsed.count === 0 ? [] : text.split('\0') };
}
