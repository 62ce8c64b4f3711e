/**
 * TFRecord framing, the container of every TensorBoard event file. Each record is
 *
 *   uint64 LE length | uint32 LE masked CRC-32C of the length | data | uint32 LE masked CRC of data
 *
 * so a reader can tell a whole record from one cut off when a writer was killed.
 */
import * as fs from 'node:fs';

import { maskedCrc32c } from './crc32c';

/** Bytes before the data: the length and its CRC. */
export const HEADER_BYTES = 12;
/** Bytes after the data: its CRC. */
export const FOOTER_BYTES = 4;

/** Frames `data` as one record, ready for a single write. */
export function frameRecord(data: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(HEADER_BYTES + data.length + FOOTER_BYTES);
  record.writeUInt32LE(data.length >>> 0, 0);
  record.writeUInt32LE(Math.floor(data.length / 2 ** 32), 4);
  record.writeUInt32LE(maskedCrc32c(record, 0, 8), 8);
  record.set(data, HEADER_BYTES);
  record.writeUInt32LE(maskedCrc32c(data), HEADER_BYTES + data.length);
  return record;
}

/** Why a scan stopped before the end of the file. */
export type RecordDamage =
  /** Fewer than 12 bytes left: a header cut off. */
  | 'short-header'
  /** The length's CRC does not match: the header is garbage (e.g. zeros after a crash). */
  | 'bad-length-crc'
  /** The file ends inside the data or its CRC: a record cut off. */
  | 'short-data'
  /** The data's CRC does not match. */
  | 'bad-data-crc';

/** Where a scan of a record file ended. */
export interface RecordScan {
  /** Complete, checked records. */
  records: number;
  /** The byte offset just past the last good record. */
  validEnd: number;
  /** The file's size when scanned. */
  size: number;
  /** Why the scan stopped short of `size`; absent when every byte was a good record. */
  damage?: RecordDamage;
  /** For `bad-data-crc`: the offset past the bad record, to tell a damaged tail from the middle. */
  damagedEnd?: number;
}

/** Reads a file in big chunks and hands out checked records; see {@link scanRecordFile}. */
class ChunkedFile {
  private chunk = Buffer.alloc(0);
  private chunkStart = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** `length` bytes at `offset`, or undefined past the end; valid until the next call. */
  read(offset: number, length: number): Buffer | undefined {
    if (offset + length > this.size) return undefined;
    const chunkEnd = this.chunkStart + this.chunk.length;
    if (offset < this.chunkStart || offset + length > chunkEnd) this.load(offset, length);
    return this.chunk.subarray(offset - this.chunkStart, offset - this.chunkStart + length);
  }

  private load(offset: number, length: number): void {
    const wanted = Math.min(Math.max(length, 8 << 20), this.size - offset);
    const chunk = Buffer.allocUnsafe(wanted);
    let filled = 0;
    while (filled < wanted) {
      const got = fs.readSync(this.fd, chunk, filled, wanted - filled, offset + filled);
      if (got === 0) break;
      filled += got;
    }
    this.chunk = chunk.subarray(0, filled);
    this.chunkStart = offset;
  }
}

/**
 * Walks the records of an open file from the start, checking both CRCs of each, and calls onRecord
 * with each record's data (a view that is only valid during the call). Stops at the first damaged
 * record and says why; reads in 8 MiB chunks, so a large file costs little memory.
 */
export function scanRecordFile(fd: number, onRecord: (data: Buffer) => void): RecordScan {
  const file = new ChunkedFile(fd, fs.fstatSync(fd).size);
  let offset = 0;
  let records = 0;
  const stop = (damage: RecordDamage, damagedEnd?: number): RecordScan => ({
    records,
    validEnd: offset,
    size: file.size,
    damage,
    damagedEnd,
  });
  while (offset < file.size) {
    const header = file.read(offset, HEADER_BYTES);
    if (!header) return stop('short-header');
    if (maskedCrc32c(header, 0, 8) !== header.readUInt32LE(8)) return stop('bad-length-crc');
    const length = header.readUInt32LE(0) + header.readUInt32LE(4) * 2 ** 32;
    const end = offset + HEADER_BYTES + length + FOOTER_BYTES;
    const body = file.read(offset + HEADER_BYTES, length + FOOTER_BYTES);
    if (!body) return stop('short-data');
    if (maskedCrc32c(body, 0, length) !== body.readUInt32LE(length))
      return stop('bad-data-crc', end);
    onRecord(body.subarray(0, length));
    records++;
    offset = end;
  }
  return { records, validEnd: offset, size: file.size };
}
