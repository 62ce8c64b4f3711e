/**
 * Decodes one image file to uint8 pixels at the size and colour the data set asks for.
 *
 * JPEG, PNG, GIF, WebP and TIFF go through sharp (libvips); PBM/PGM/PPM through our own reader, and
 * through sharp afterwards only when they need resizing or a colour change. A folder's JPEGs go
 * through the native batch decoder (jpeg.ts) instead, and come here only without the binding or
 * in a colour space it leaves out (CMYK).
 */
import sharp, { type Sharp } from 'sharp';

import { jpegDecoderVersion } from './jpeg';
import { decodeNetpbm } from './netpbm';
import type { ImageKind } from './sniff';

/** How every image of a set is brought to one shape. */
export interface Preprocessing {
  /** Output size; undefined keeps each image's own size. */
  scale?: { width: number; height: number };
  /** Resize to the new aspect without cropping (squash) instead of centre-cropping first. */
  squash: boolean;
  /** Output one grey channel. */
  grayscale: boolean;
}

/** One decoded image: [height, width, channels] uint8. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Uint8Array;
  /** True when the image has no colour: one channel, or three equal ones. */
  gray: boolean;
}

/** An image's width and height from its header (PBM/PGM/PPM are decoded whole: that is cheap). */
export async function probeSize(
  bytes: Buffer,
  kind: ImageKind,
): Promise<{ width: number; height: number }> {
  if (kind === 'netpbm') return decodeNetpbm(bytes);
  const { width, height } = await sharp(bytes, { failOn: 'truncated' }).metadata();
  if (!width || !height) throw new Error('no image size in header');
  return { width, height };
}

/** Decodes and preprocesses one image file; throws when it cannot be read. */
export async function decodeImage(
  bytes: Buffer,
  kind: ImageKind,
  settings: Preprocessing,
): Promise<DecodedImage> {
  if (kind !== 'netpbm') return runSharp(sharp(bytes, { failOn: 'truncated' }), settings);
  const image = decodeNetpbm(bytes);
  const needsSharp = settings.scale !== undefined || (settings.grayscale && image.channels === 3);
  if (!needsSharp) return withGrayFlag(image.width, image.height, image.channels, image.pixels);
  const raw = { width: image.width, height: image.height, channels: image.channels };
  return runSharp(sharp(image.pixels, { raw }), settings);
}

/** Resizes raw [height, width, channels] pixels (used for in-memory sets such as MNIST). */
export async function resizeRaw(
  pixels: Uint8Array,
  size: { width: number; height: number; channels: 1 | 3 },
  settings: Preprocessing,
): Promise<DecodedImage> {
  return runSharp(sharp(pixels, { raw: size }), settings);
}

async function runSharp(pipeline: Sharp, settings: Preprocessing): Promise<DecodedImage> {
  // Transparent areas become black; a colour image becomes one grey channel only when asked.
  pipeline = pipeline.flatten({ background: '#000000' });
  if (settings.grayscale) pipeline = pipeline.greyscale();
  if (settings.scale) {
    const { width, height } = settings.scale;
    pipeline = pipeline.resize(width, height, {
      fit: settings.squash ? 'fill' : 'cover',
      position: 'centre',
    });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 && info.channels !== 3) {
    throw new Error(`decoded to ${info.channels} channels, expected 1 or 3`);
  }
  return withGrayFlag(info.width, info.height, info.channels, data);
}

function withGrayFlag(
  width: number,
  height: number,
  channels: 1 | 3,
  pixels: Uint8Array,
): DecodedImage {
  return { width, height, channels, pixels, gray: channels === 1 || channelsEqual(pixels) };
}

/** True when every pixel of an RGB buffer has R = G = B. */
export function channelsEqual(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i += 3) {
    if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return false;
  }
  return true;
}

/** Decoder versions, part of the cache key: another decoder or resizer may give other bytes. */
export function decoderVersion(): string {
  const jpeg = jpegDecoderVersion() ?? 'jpeg through sharp';
  return `sharp ${sharp.versions.sharp} vips ${sharp.versions.vips}; ${jpeg}`;
}

/**
 * Runs `body` with libvips set for many small images: one thread per image (parallelism comes
 * from decoding several images at once) and no operation cache. Restores the settings after.
 */
export async function withDecoderSettings<T>(body: () => Promise<T>): Promise<T> {
  const threadsBefore = sharp.concurrency();
  const cacheBefore = sharp.cache();
  sharp.concurrency(1);
  sharp.cache(false);
  try {
    return await body();
  } finally {
    sharp.concurrency(threadsBefore);
    sharp.cache({
      memory: cacheBefore.memory.max,
      files: cacheBefore.files.max,
      items: cacheBefore.items.max,
    });
  }
}
