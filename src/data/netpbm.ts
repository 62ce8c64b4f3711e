/**
 * A reader for netpbm bitmaps, grey and colour maps: PBM (P1 text, P4 binary), PGM (P2 text, P5
 * binary) and PPM (P3 text, P6 binary), 8- or 16-bit. libvips, under sharp, does not read them as
 * we need (Extended Yale B is P5 PGM).
 *
 * Samples are scaled from [0, maxval] to [0, 255]; 16-bit binary samples are big-endian. Bitmap
 * pixels are 1 for black and 0 for white, and become grey 0 and 255.
 */

/** A decoded netpbm image: [height, width, channels] uint8. */
export interface NetpbmImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** The file's own maximum sample value (1 for a bitmap, 255 for 8-bit, up to 65535). */
  maxval: number;
  pixels: Uint8Array;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c]);

/** True when the bytes start like a netpbm file (`P1` to `P6`, then whitespace or a comment). */
export function isNetpbm(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 3 &&
    bytes[0] === 0x50 &&
    bytes[1] >= 0x31 &&
    bytes[1] <= 0x36 &&
    (WHITESPACE.has(bytes[2]) || bytes[2] === 0x23)
  );
}

/** Reads header fields and, for text formats, samples: whitespace-separated, `#` comments. */
class TokenReader {
  position: number;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.position = start;
  }

  /** The next unsigned decimal; throws when the data ends or holds something else. */
  nextNumber(what: string): number {
    const bytes = this.bytes;
    let i = this.skipToToken(what);
    let value = 0;
    const start = i;
    while (i < bytes.length && bytes[i] >= 0x30 && bytes[i] <= 0x39)
      value = value * 10 + bytes[i++] - 0x30;
    if (i === start)
      throw new Error(`expected a number for its ${what}, found byte 0x${bytes[i].toString(16)}`);
    this.position = i;
    return value;
  }

  /** The next `0` or `1` of a text bitmap, which need not be separated by whitespace. */
  nextBit(what: string): number {
    const i = this.skipToToken(what);
    const byte = this.bytes[i];
    if (byte !== 0x30 && byte !== 0x31)
      throw new Error(`expected 0 or 1 for its ${what}, found byte 0x${byte.toString(16)}`);
    this.position = i + 1;
    return byte - 0x30;
  }

  /** The index of the next byte past whitespace and comments; throws when the data ends first. */
  private skipToToken(what: string): number {
    const bytes = this.bytes;
    let i = this.position;
    for (;;) {
      while (i < bytes.length && WHITESPACE.has(bytes[i])) i++;
      if (bytes[i] !== 0x23) break; // '#': a comment runs to the end of the line
      while (i < bytes.length && bytes[i] !== 0x0a && bytes[i] !== 0x0d) i++;
    }
    if (i >= bytes.length) throw new Error(`file ends before its ${what}`);
    return i;
  }
}

/** Decodes a P1 to P6 file. Throws an Error saying what is wrong for anything else. */
export function decodeNetpbm(bytes: Uint8Array): NetpbmImage {
  if (!isNetpbm(bytes)) throw new Error('not a PBM/PGM/PPM file (expected P1 to P6)');
  const kind = bytes[1] - 0x30;
  const reader = new TokenReader(bytes, 2);
  const width = reader.nextNumber('width');
  const height = reader.nextNumber('height');
  // Bitmaps have no maximum value line.
  const maxval = kind === 1 || kind === 4 ? 1 : reader.nextNumber('maximum value');
  if (width < 1 || height < 1) throw new Error(`bad size ${width}x${height}`);
  if (maxval < 1 || maxval > 65535) throw new Error(`maximum value ${maxval} outside 1..65535`);
  if (kind === 1 || kind === 4) {
    const pixels =
      kind === 1
        ? readTextBits(reader, width * height)
        : readBinaryBits(bytes, reader.position, width, height);
    return { width, height, channels: 1, maxval, pixels };
  }
  const channels = kind === 3 || kind === 6 ? 3 : 1;
  const samples = width * height * channels;
  const pixels =
    kind === 2 || kind === 3
      ? readTextSamples(reader, samples, maxval)
      : readBinarySamples(bytes, reader.position, samples, maxval);
  return { width, height, channels, maxval, pixels };
}

/** Text bitmap pixels, 1 black and 0 white, as grey 0 and 255; rows are not padded. */
function readTextBits(reader: TokenReader, count: number): Uint8Array {
  const pixels = new Uint8Array(count);
  for (let i = 0; i < count; i++) pixels[i] = reader.nextBit(`pixel ${i} of ${count}`) ? 0 : 255;
  return pixels;
}

/**
 * Where a binary raster of `needed` bytes starts: after exactly one whitespace byte ending the
 * header (after `last`, its last field). Throws when that byte is missing or the file is short.
 */
function rasterStart(bytes: Uint8Array, headerEnd: number, needed: number, last: string): number {
  if (!WHITESPACE.has(bytes[headerEnd])) throw new Error(`no whitespace after ${last}`);
  const start = headerEnd + 1;
  if (bytes.length - start < needed) {
    throw new Error(`truncated: raster needs ${needed} bytes, file has ${bytes.length - start}`);
  }
  return start;
}

/** Binary bitmap pixels, eight to a byte, first in the high bit; each row starts a new byte. */
function readBinaryBits(
  bytes: Uint8Array,
  headerEnd: number,
  width: number,
  height: number,
): Uint8Array {
  const rowBytes = Math.ceil(width / 8);
  const start = rasterStart(bytes, headerEnd, rowBytes * height, 'the height');
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = start + y * rowBytes;
    for (let x = 0; x < width; x++) {
      const bit = (bytes[row + (x >> 3)] >> (7 - (x & 7))) & 1;
      pixels[y * width + x] = bit ? 0 : 255;
    }
  }
  return pixels;
}

function readTextSamples(reader: TokenReader, samples: number, maxval: number): Uint8Array {
  const pixels = new Uint8Array(samples);
  for (let i = 0; i < samples; i++) {
    const value = reader.nextNumber(`sample ${i} of ${samples}`);
    if (value > maxval) throw new Error(`sample ${value} exceeds the maximum value ${maxval}`);
    pixels[i] = maxval === 255 ? value : Math.round((value * 255) / maxval);
  }
  return pixels;
}

function readBinarySamples(
  bytes: Uint8Array,
  headerEnd: number,
  samples: number,
  maxval: number,
): Uint8Array {
  const sampleBytes = maxval > 255 ? 2 : 1;
  const needed = samples * sampleBytes;
  const start = rasterStart(bytes, headerEnd, needed, 'the maximum value');
  if (sampleBytes === 1 && maxval === 255) return bytes.slice(start, start + needed);
  const pixels = new Uint8Array(samples);
  for (let i = 0; i < samples; i++) {
    const value =
      sampleBytes === 2 ? (bytes[start + 2 * i] << 8) | bytes[start + 2 * i + 1] : bytes[start + i];
    pixels[i] = Math.round((Math.min(value, maxval) * 255) / maxval);
  }
  return pixels;
}
