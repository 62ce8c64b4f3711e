/**
 * The on-disk cache of a decoded image folder, so that a second run on the same folder starts in
 * seconds instead of decoding every file again.
 *
 * File layout (one file per folder and preprocessing settings):
 *   bytes 0-7    magic `IGANDS02`
 *   bytes 8-11   header length H, uint32 little-endian
 *   bytes 12-15  CRC-32 of the header and the payload together, uint32 little-endian
 *   bytes 16-43  zero
 *   bytes 44..   header: UTF-8 JSON (CacheHeader)
 *   then         payload: the pixels, [count, height, width, channels] uint8
 * A cache is used only when its key (file list and settings) matches and the checksum holds.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import type { Logger } from '../util/log';

const MAGIC = Buffer.from('IGANDS02', 'ascii');
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

/** CRC-32 over header and payload: catches damage at several GB/s, so a cache hit stays fast. */
function checksum(header: Uint8Array, payload: Uint8Array): number {
  return zlib.crc32(payload, zlib.crc32(header));
}

/**
 * Reads the cache at `file` if it exists, matches `key` and is intact. Returns undefined on a miss;
 * a damaged or stale cache is logged in one line and deleted (it is rebuilt, never trusted).
 */
export function readCache(file: string, key: string, log: Logger): CachedSet | undefined {
  if (!fs.existsSync(file)) return undefined;
  let problem: string;
  try {
    const result = readVerified(file, key);
    if (typeof result !== 'string') return result;
    problem = result;
  } catch (error) {
    problem = `unreadable (${(error as Error).message})`;
  }
  log.info(`cache ${file} is ${problem}; rebuilding it`);
  fs.rmSync(file, { force: true });
  return undefined;
}

/** The cached set, or a string saying why it cannot be used. */
function readVerified(file: string, key: string): CachedSet | string {
  const descriptor = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(descriptor).size;
    const prefix = Buffer.alloc(PREFIX_BYTES);
    if (size < PREFIX_BYTES || fs.readSync(descriptor, prefix, 0, PREFIX_BYTES, 0) < PREFIX_BYTES) {
      return `damaged (only ${size} bytes)`;
    }
    if (!prefix.subarray(0, 8).equals(MAGIC)) return 'not an infogan cache (bad magic)';
    const headerBytes = prefix.readUInt32LE(8);
    if (headerBytes > size - PREFIX_BYTES)
      return `damaged (header of ${headerBytes} bytes overruns the file)`;
    // One read for header and payload: the payload is returned as a view, never copied.
    const body = Buffer.allocUnsafeSlow(size - PREFIX_BYTES);
    if (fs.readSync(descriptor, body, 0, body.length, PREFIX_BYTES) < body.length)
      return 'damaged (short read)';
    const header = body.subarray(0, headerBytes);
    const payload = body.subarray(headerBytes);
    if (checksum(header, payload) !== prefix.readUInt32LE(12)) return 'damaged (checksum mismatch)';
    const parsed = JSON.parse(header.toString('utf8')) as CacheHeader;
    if (parsed.key !== key) return 'stale (the folder or the settings changed)';
    const expected = parsed.count * parsed.height * parsed.width * parsed.channels;
    if (payload.length !== expected)
      return `damaged (${payload.length} pixel bytes, expected ${expected})`;
    return {
      ...parsed,
      pixels: new Uint8Array(payload.buffer, payload.byteOffset, payload.length),
    };
  } finally {
    fs.closeSync(descriptor);
  }
}

/**
 * Writes the cache atomically: to a temporary file beside it, then renamed over it, so a reader
 * never sees half a file. A failure (read-only disk, full disk) is one warning; the run goes on.
 */
export function writeCache(file: string, set: CachedSet, log: Logger): void {
  const { key, count, height, width, channels, files, notes, pixels } = set;
  const fields: CacheHeader = { key, count, height, width, channels, files, notes };
  const header = Buffer.from(JSON.stringify(fields), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(header.length, 8);
  prefix.writeUInt32LE(checksum(header, pixels), 12);
  const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const descriptor = fs.openSync(temporary, 'wx');
    try {
      for (const part of [prefix, header, pixels]) writeAll(descriptor, part);
    } finally {
      fs.closeSync(descriptor);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    log.warn(`could not write the data cache ${file}: ${(error as Error).message}`);
  }
}

function writeAll(descriptor: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) {
    done += fs.writeSync(descriptor, bytes, done, bytes.length - done);
  }
}
