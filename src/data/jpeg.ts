/**
 * The native JPEG path: libjpeg-turbo decodes, crops and resizes batches of JPEG files on libuv's
 * worker threads (native/image_decode.cc, built as build/Release/infogan_image.node).
 *
 * Per image it decodes with DCT scaling at the smallest of 1/8, 1/4, 1/2 or full size that
 * still covers the target, takes the centred box of the target's aspect (or the whole image to
 * squash), and resamples it with an antialiased Lanczos-3 filter, as Pillow's ImageOps.fit does.
 * Grey output is JPEG's own luma (ITU-R 601-2, as Pillow's 'L').
 *
 * This module validates arguments and cuts the file list into batches, all decoded straight into
 * the caller's buffer, so the main thread handles one batch's results while the workers decode
 * the next.
 */
import type { Preprocessing } from './decode';
import {
  type ImageBinding,
  imageBinding,
  type NativeOptions,
  type NativeOutcome,
  type NativeSize,
} from './native';

/**
 * One JPEG's result: written to its place in the output, with its channel count (1 for a grey
 * JPEG or grey output, else 3) and whether it has no colour; a decoding error; or a colour space
 * this path does not handle (CMYK, YCCK), for sharp to do.
 */
export type JpegResult = NativeOutcome;

/** Where decoded images go: image i at pixels[offsets[i]], each with room for its frame. */
export interface JpegOutput {
  pixels: Uint8Array;
  offsets: Float64Array;
}

/**
 * Seconds of work per native call. Each call ends with a hand-over between threads, which on a
 * busy machine waits for a time slice: long calls make those rare, short ones keep the progress
 * bar moving. The first call is FIRST_BATCH images per thread; later ones are sized from the rate.
 */
const BATCH_SECONDS = 0.5;
const FIRST_BATCH = 32;

/** The binding, or undefined when it was not built: JPEGs then go through sharp like the rest. */
export function jpegBinding(): ImageBinding | undefined {
  return imageBinding();
}

/**
 * Bumped whenever the native path's output would change for the same libjpeg-turbo, which files
 * it decodes included. 2: corrupt image data fails the file.
 */
const NATIVE_FORMAT = 2;

/** The native decoder's version for the cache key, or undefined without the binding. */
export function jpegDecoderVersion(): string | undefined {
  const native = jpegBinding();
  return native && `${native.version()} resampler ${NATIVE_FORMAT}`;
}

/**
 * Decodes `files` (paths or bytes) to `size` with `settings`, `threads` images at a time, into
 * `output` (width * height * (grayscale ? 1 : 3) bytes reserved for each), and calls
 * `onResult(index, result)` for each, in batches, in index order within a batch. With no
 * `settings.scale`, an image not already of `size` is an error. Starts no batch once
 * `shouldStop` says so, leaving the rest undecoded. Needs the binding.
 */
export async function decodeJpegFiles(
  files: (string | Uint8Array)[],
  size: { width: number; height: number },
  settings: Preprocessing,
  threads: number,
  output: JpegOutput,
  onResult: (index: number, result: JpegResult) => void,
  shouldStop?: () => boolean,
): Promise<void> {
  const native = jpegBinding();
  if (!native) throw new Error('the native JPEG decoder is not built; run `npm install`');
  checkSize(size);
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`Expected threads to be a positive integer but got ${threads}`);
  if (output.offsets.length !== files.length)
    throw new Error(`Expected ${files.length} offsets but got ${output.offsets.length}`);
  const options: NativeOptions = {
    ...size,
    gray: settings.grayscale,
    fit: settings.scale === undefined ? 'exact' : settings.squash ? 'squash' : 'crop',
    threads,
  };
  const batchSize = (perSecond: number) =>
    Math.round(Math.max(FIRST_BATCH * threads, perSecond * BATCH_SECONDS));

  const launch = (start: number, count: number) => {
    const sources = files.slice(start, start + count);
    const offsets = output.offsets.subarray(start, start + sources.length);
    const started = performance.now();
    const outcomes = native.decodeJpegs(sources, options, output.pixels, offsets);
    return { start, started, outcomes };
  };
  let running = files.length > 0 ? launch(0, batchSize(0)) : undefined;
  while (running) {
    const { start, started, outcomes } = running;
    const results = await outcomes;
    // The next batch decodes while this one's results are handed over.
    const next = start + results.length;
    const perSecond = results.length / Math.max(1e-3, (performance.now() - started) / 1000);
    const more = next < files.length && !shouldStop?.();
    running = more ? launch(next, batchSize(perSecond)) : undefined;
    results.forEach((result, i) => onResult(start + i, result));
  }
}

/** Reads the width and height from each JPEG's header; an unreadable header is an error. */
export async function probeJpegFiles(
  files: (string | Uint8Array)[],
  threads: number,
): Promise<NativeSize[]> {
  const native = jpegBinding();
  if (!native) throw new Error('the native JPEG decoder is not built; run `npm install`');
  return native.probeJpegs(files, threads);
}

function checkSize(size: { width: number; height: number }): void {
  for (const side of ['width', 'height'] as const) {
    if (!Number.isInteger(size[side]) || size[side] < 1)
      throw new Error(`Expected ${side} to be a positive integer but got ${size[side]}`);
  }
}
