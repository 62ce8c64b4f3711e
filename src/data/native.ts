/**
 * The data layer's native binding, build/Release/infogan_image.node: libjpeg-turbo decoding
 * (native/image_decode.cc) and file-system work done in bulk (native/folder_io.cc).
 *
 * It is optional: without it, JPEGs go through sharp, folders are listed and caches read and
 * checked in JavaScript, with the same results, only slower.
 */
import * as path from 'node:path';

/** What the binding reports for one decoded image. */
export type NativeOutcome =
  | { channels: 1 | 3; gray: boolean }
  | { error: string }
  | { unsupported: string };

/** What the binding reports for one probed header. */
export type NativeSize = { width: number; height: number } | { error: string };

export interface NativeOptions {
  width: number;
  height: number;
  /** One channel (luma) for every image. */
  gray: boolean;
  /** crop: centred box of the target aspect; squash: whole image; exact: no resize at all. */
  fit: 'crop' | 'squash' | 'exact';
  threads: number;
}

export interface ImageBinding {
  /** Writes image i at out[offsets[i]]; reserve width * height * (gray ? 1 : 3) bytes each. */
  decodeJpegs(
    sources: (string | Uint8Array)[],
    options: NativeOptions,
    out: Uint8Array,
    offsets: Float64Array | number[],
  ): Promise<NativeOutcome[]>;
  probeJpegs(sources: (string | Uint8Array)[], threads: number): Promise<NativeSize[]>;
  version(): string;
  /**
   * Every regular file under `root` as walk.ts's listFolder describes, on a worker thread:
   * relative paths joined by '\0', sorted in JavaScript's string order, and their sizes and
   * mtimes (ms, as fs.Stats.mtimeMs); a folder of many files is stat-ed on `threads` threads.
   * leftOut: [relative path, why] of what is not listed: what could not be read, links to nothing
   * or to a folder above the root, pipes and devices, names that are not UTF-8, run folders. Rejects naming the root when it cannot be read.
   */
  listFolder(
    root: string,
    excluded: string[],
    threads: number,
  ): Promise<{ names: string; sizes: Float64Array; mtimes: Float64Array; ctimes: Float64Array;
    leftOut: [string, string][] }>;
  /** The first `bytes` bytes of each file ([paths, bytes]); lengths[i] is -1 when unreadable. */
  readHeads(
    paths: string[],
    bytes: number,
    threads: number,
  ): Promise<{ heads: Uint8Array; lengths: Int32Array }>;
  /** CRC-32C of each `block` bytes of `bytes` (the last block may be shorter); block % 8 = 0.
   * The blocks are shared out over `threads` threads (default 1). */
  crc32cBlocks(bytes: Uint8Array, block: number, threads?: number): Uint32Array;
  /** Maps a file; throws naming it if it cannot. */
  MappedFile: new (file: string) => MappedFile;
}

/**
 * A file mapped copy-on-write (writes never reach the file). Pieces are read from it while V8
 * knows nothing of its size; take() hands the whole over as an ArrayBuffer, after which every
 * other method throws, as after close().
 */
export interface MappedFile {
  readonly byteLength: number;
  /** A copy of `length` bytes at `offset`. */
  read(offset: number, length: number): Uint8Array;
  /** crc32cBlocks of `length` bytes at `offset`, without copying them. */
  crc32cBlocks(offset: number, length: number, block: number, threads: number): Uint32Array;
  /** The whole file, unmapped when the buffer is collected. */
  take(): ArrayBuffer;
  /** Unmaps it now. */
  close(): void;
}

let binding: ImageBinding | null | undefined;

/** The binding, or undefined when it was not built. */
export function imageBinding(): ImageBinding | undefined {
  if (binding === undefined) {
    const file = path.join(__dirname, '..', '..', '..', 'build', 'Release', 'infogan_image.node');
    try {
      binding = require(file) as ImageBinding;
    } catch {
      binding = null;
    }
  }
  return binding ?? undefined;
}
