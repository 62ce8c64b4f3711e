/**
 * Recognises image files by their first bytes, never by name: real folders hold images without
 * extensions next to logs, notes and editor leftovers.
 */
import * as fs from 'node:fs';
import * as util from 'node:util';

import { imageBinding } from './native';
import { isNetpbm } from './netpbm';
import { errnoText } from './walk';

/** What a file's first bytes say it is. */
export type ImageKind = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'netpbm';

/** Bytes needed to recognise every kind. */
export const SNIFF_BYTES = 16;

function startsWith(bytes: Uint8Array, prefix: number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((value, i) => bytes[at + i] === value);
}

const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

/** The image kind of a file from its first SNIFF_BYTES bytes, or undefined for anything else. */
export function sniffImageKind(bytes: Uint8Array): ImageKind | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return 'tiff';
  }
  if (isNetpbm(bytes)) return 'netpbm';
  return undefined;
}

/**
 * The name of an image format infogan does not read (BMP, HEIC, AVIF, ...), from a file's first
 * SNIFF_BYTES bytes, so a skipped picture is reported as such rather than as "not an image".
 */
export function unsupportedImageFormat(bytes: Uint8Array): string | undefined {
  // "BM", the file size, then two reserved 16-bit fields that are zero (never in a text file).
  if (startsWith(bytes, ascii('BM')) && startsWith(bytes, [0, 0, 0, 0], 6)) return 'BMP';
  if (startsWith(bytes, ascii('ftyp'), 4)) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (['heic', 'heix', 'heim', 'heis', 'hevc', 'mif1', 'msf1'].includes(brand)) return 'HEIC';
    if (brand === 'avif' || brand === 'avis') return 'AVIF';
  }
  if (startsWith(bytes, ascii('8BPS'))) return 'Photoshop PSD';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ICO';
  const jpegXl = [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20];
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, jpegXl)) return 'JPEG XL';
  if (startsWith(bytes, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'JPEG 2000';
  return undefined;
}

/** The first SNIFF_BYTES bytes of `file` (fewer when it is shorter); empty when unreadable. */
export function fileHead(file: string): Uint8Array {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const head = new Uint8Array(SNIFF_BYTES);
      return head.subarray(0, fs.readSync(fd, head, 0, SNIFF_BYTES, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return new Uint8Array(0);
  }
}

/**
 * The image kind of each file from its first bytes, read `threads` files at a time by the native
 * binding (or one by one without it); errors[i] says why file i could not be read, if it could
 * not (its kind is then undefined).
 */
export async function sniffFiles(
  files: string[],
  threads: number,
): Promise<{ kinds: (ImageKind | undefined)[]; errors: (string | undefined)[] }> {
  const native = imageBinding();
  const kinds: (ImageKind | undefined)[] = [];
  const errors: (string | undefined)[] = [];
  if (!native) {
    const head = Buffer.alloc(SNIFF_BYTES);
    for (const file of files) {
      try {
        kinds.push(sniffImageKind(readHead(file, head)));
        errors.push(undefined);
      } catch (error) {
        kinds.push(undefined);
        errors.push(errnoText(error));
      }
    }
    return { kinds, errors };
  }
  const { heads, lengths } = await native.readHeads(files, SNIFF_BYTES, threads);
  const messages = util.getSystemErrorMap();
  files.forEach((_, i) => {
    const start = i * SNIFF_BYTES;
    const length = lengths[i];
    kinds.push(sniffImageKind(heads.subarray(start, start + Math.max(0, length))));
    // readHeads gives minus the errno; libuv's map is keyed by minus the errno as well.
    errors.push(length < 0 ? messages.get(length)?.[1] ?? `errno ${-length}` : undefined);
  });
  return { kinds, errors };
}

function readHead(file: string, head: Buffer): Uint8Array {
  const descriptor = fs.openSync(file, 'r');
  try {
    return head.subarray(0, fs.readSync(descriptor, head, 0, head.length, 0));
  } finally {
    fs.closeSync(descriptor);
  }
}
