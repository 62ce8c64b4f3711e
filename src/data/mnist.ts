/**
 * MNIST in LeCun's idx format: `train-images-idx3-ubyte` ([count, 28, 28] uint8) and
 * `train-labels-idx1-ubyte` ([count] uint8), each plain or gzipped (recognised by content).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import { UserError } from '../util/log';
import type { ImageDataset } from './types';

/** One idx array: its dimensions and its bytes (unsigned 8-bit data only). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const IDX_UBYTE = 0x08;
const TRAIN_IMAGES = 'train-images-idx3-ubyte';
const TRAIN_LABELS = 'train-labels-idx1-ubyte';

/**
 * Reads an idx file of unsigned bytes. Throws a one-line UserError naming the file when the magic
 * number, the element type, the dimension count or the size is wrong.
 */
export function readIdxFile(file: string, expectedDims?: number): IdxArray {
  const name = path.basename(file);
  let bytes: Buffer = fs.readFileSync(file);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (error) {
      throw new UserError(`${name}: not a readable gzip file (${(error as Error).message})`);
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = bytes.subarray(0, 4).toString('hex');
    throw new UserError(`${name}: bad magic number 0x${magic}, expected 0x0000080N (an idx file)`);
  }
  if (bytes[2] !== IDX_UBYTE) {
    throw new UserError(
      `${name}: element type 0x${bytes[2].toString(16)} is not unsigned byte (0x08)`,
    );
  }
  const ndims = bytes[3];
  if (expectedDims !== undefined && ndims !== expectedDims) {
    throw new UserError(`${name}: has ${ndims} dimensions, expected ${expectedDims}`);
  }
  return { dims: readDims(bytes, ndims, name), data: bytes.subarray(4 + 4 * ndims) };
}

function readDims(bytes: Buffer, ndims: number, name: string): number[] {
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new UserError(`${name}: header cut short (${bytes.length} bytes, needs ${headerBytes})`);
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(bytes.readUInt32BE(4 + 4 * d));
  const expected = dims.reduce((a, b) => a * b, 1);
  const found = bytes.length - headerBytes;
  if (found !== expected) {
    throw new UserError(
      `${name}: expected ${expected} data bytes for [${dims.join(', ')}] but found ${found}`,
    );
  }
  return dims;
}

/** The idx file `base` in `dir`, plain or `.gz`, or undefined. */
function findIdx(dir: string, base: string): string | undefined {
  for (const candidate of [base, `${base}.gz`]) {
    const full = path.join(dir, candidate);
    if (fs.existsSync(full)) return full;
  }
  return undefined;
}

/** True when `dir` holds MNIST's training images (`train-images-idx3-ubyte`, plain or gzipped). */
export function isMnistFolder(dir: string): boolean {
  return findIdx(dir, TRAIN_IMAGES) !== undefined;
}

/** Loads MNIST's training images, with the digit labels as classes when the label file is there. */
export function loadMnistFolder(dir: string): ImageDataset {
  const imagesFile = findIdx(dir, TRAIN_IMAGES);
  if (!imagesFile) throw new UserError(`no ${TRAIN_IMAGES}(.gz) in ${dir}`);
  const images = readIdxFile(imagesFile, 3);
  const [count, height, width] = images.dims;
  const dataset: ImageDataset = {
    source: dir,
    count,
    height,
    width,
    channels: 1,
    pixels: images.data,
  };
  const labelsFile = findIdx(dir, TRAIN_LABELS);
  if (labelsFile) {
    const labels = readIdxFile(labelsFile, 1);
    if (labels.dims[0] !== count) {
      throw new UserError(
        `${path.basename(labelsFile)}: has ${labels.dims[0]} labels for ${count} images`,
      );
    }
    const bad = labels.data.findIndex((digit) => digit > 9);
    if (bad >= 0) {
      throw new UserError(
        `${path.basename(labelsFile)}: label ${labels.data[bad]} at ${bad} is no digit`,
      );
    }
    dataset.labels = { classes: { names: digitNames(), index: Int32Array.from(labels.data) } };
  }
  return dataset;
}

/** Class names for the ten digits, '0' to '9'. */
export function digitNames(): string[] {
  return Array.from({ length: 10 }, (_, digit) => String(digit));
}
