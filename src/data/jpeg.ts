/**
 * The native JPEG path: libjpeg-turbo decodes, crops and resizes batches of JPEG files on libuv's
 * worker threads (native/image_decode.cc, built as build/Release/infogan_image.node).
 *
 * Per image it decodes with DCT scaling at the smallest of 1/8, 1/4, 1/2 or full size that
 * still covers the target, takes the centred box of the target's aspect (or the whole image to
 * squash), and resamples it with an antialiased Lanczos-3 filter, as Pillow's ImageOps.fit does.
 * Grey output is JPEG's own luma (ITU-R 601-2, as Pillow's 'L').
 *
 * This module validates arguments and cuts the file list into batches, each decoded into its own
 * buffer, so the main thread stores one batch while the workers decode the next.
 */
import type { DecodedImage, Preprocessing } from './decode';
import {
  type ImageBinding,
  imageBinding,
  type NativeOptions,
  type NativeOutcome,
  type NativeSize,
} from './native';

/**
 * One JPEG's result: the image (its pixels are a view valid only during the callback), a
 * decoding error, or a colour space this path does not handle (CMYK, YCCK), for sharp to do.
 */
export type JpegResult = { image: DecodedImage } | { error: string } | { unsupported: string };

/**
 * Seconds of work per native call. Each call ends with a hand-over between threads, which on a
 * busy machine waits for a time slice: long calls make those rare, short ones keep the progress
 * bar moving. The first call is FIRST_BATCH images per thread; later ones are sized from the rate.
 */
const BATCH_SECONDS = 0.5;
const FIRST_BATCH = 32;
/** Bytes of pixels one batch may hold (two batches are held at once). */
const BATCH_BYTES = 8 << 20;

/** The binding, or undefined when it was not built: JPEGs then go through sharp like the rest. */
export function jpegBinding(): ImageBinding | undefined {
  return imageBinding();
}

/** Bumped whenever the native path's output would change for the same libjpeg-turbo. */
const NATIVE_FORMAT = 1;

/** The native decoder's version for the cache key, or undefined without the binding. */
export function jpegDecoderVersion(): string | undefined {
  const native = jpegBinding();
  return native && `${native.version()} resampler ${NATIVE_FORMAT}`;
}

/**
 * Decodes `files` (paths or bytes) to `size` with `settings`, `threads` images at a time, and
 * calls `onResult(index, result)` for each, in batches, in index order within a batch. With no
 * `settings.scale`, an image not already of `size` is an error. Needs the binding.
 */
export async function decodeJpegFiles(
  files: (string | Uint8Array)[],
  size: { width: number; height: number },
  settings: Preprocessing,
  threads: number,
  onResult: (index: number, result: JpegResult) => void,
): Promise<void> {
  const native = jpegBinding();
  if (!native) throw new Error('the native JPEG decoder is not built; run `npm install`');
  checkSize(size);
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`Expected threads to be a positive integer but got ${threads}`);
  const options: NativeOptions = {
    ...size,
    gray: settings.grayscale,
    fit: settings.scale === undefined ? 'exact' : settings.squash ? 'squash' : 'crop',
    threads,
  };
  const frame = size.width * size.height * (settings.grayscale ? 1 : 3);
  // Every thread gets at least one image, however large the images.
  const largest = Math.max(threads, Math.floor(BATCH_BYTES / frame));
  const batchSize = (perSecond: number) =>
    Math.round(Math.min(largest, Math.max(FIRST_BATCH * threads, perSecond * BATCH_SECONDS)));
  const buffers = [new Uint8Array(0), new Uint8Array(0)];
  let which = 0;

  const launch = (start: number, count: number) => {
    const sources = files.slice(start, start + count);
    which = 1 - which;
    if (buffers[which].length < sources.length * frame)
      buffers[which] = new Uint8Array(sources.length * frame);
    const out = buffers[which];
    const offsets = Float64Array.from(sources, (_, i) => i * frame);
    const started = performance.now();
    return { start, out, started, outcomes: native.decodeJpegs(sources, options, out, offsets) };
  };
  let running = files.length > 0 ? launch(0, batchSize(0)) : undefined;
  while (running) {
    const { start, out, started, outcomes } = running;
    const results = await outcomes;
    // The next batch decodes into the other buffer while this one is handed over.
    const next = start + results.length;
    const perSecond = results.length / Math.max(1e-3, (performance.now() - started) / 1000);
    running = next < files.length ? launch(next, batchSize(perSecond)) : undefined;
    results.forEach((outcome, i) => {
      onResult(start + i, toResult(outcome, out.subarray(i * frame, (i + 1) * frame), size));
    });
  }
}

function toResult(
  outcome: NativeOutcome,
  frame: Uint8Array,
  size: { width: number; height: number },
): JpegResult {
  if ('error' in outcome) return { error: outcome.error };
  if ('unsupported' in outcome) return { unsupported: outcome.unsupported };
  const { channels, gray } = outcome;
  const pixels = frame.subarray(0, size.width * size.height * channels);
  return { image: { ...size, channels, gray, pixels } };
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
