/**
 * Image folders of every supported format and colour layout, made in a temp folder with sharp,
 * plus the strays a real folder holds (no extension, truncated, empty, text).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';

import { loadDataset } from './index';
import { sniffImageKind, unsupportedImageFormat } from './sniff';
import { dataset, tempFolder, testLogger } from './testing';
import type { DatasetOptions } from './types';

const SIZE = 16;

/** A 16x16 raw image: grey ramp, or a colour gradient when `channels` is 3 or 4. */
function ramp(channels: 1 | 2 | 3 | 4): {
  data: Buffer;
  raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
} {
  const data = Buffer.alloc(SIZE * SIZE * channels);
  for (let p = 0; p < SIZE * SIZE; p++) {
    for (let c = 0; c < channels; c++)
      data[p * channels + c] = c === 3 || (channels === 2 && c === 1) ? 255 : (p + 60 * c) % 256;
  }
  return { data, raw: { width: SIZE, height: SIZE, channels } };
}

const image = (channels: 1 | 2 | 3 | 4) => {
  const { data, raw } = ramp(channels);
  return sharp(data, { raw });
};

/** A P4 raster, SIZE x SIZE: black rows above white rows, alternately. */
function stripedBitmap(): Buffer {
  const rowBytes = SIZE / 8;
  const raster = Buffer.alloc(SIZE * rowBytes);
  for (let y = 0; y < SIZE; y += 2) raster.fill(0xff, y * rowBytes, (y + 1) * rowBytes);
  return raster;
}

/** Writes one file of every kind into `dir`; returns the names that should load. */
async function writeEveryFormat(dir: string): Promise<string[]> {
  const files: Record<string, Buffer> = {
    'grey.png': await image(1).png().toBuffer(),
    'grey-alpha.png': await image(2).png().toBuffer(),
    'rgba.png': await image(4).png().toBuffer(),
    'palette.png': await image(3).png({ palette: true }).toBuffer(),
    'deep.png': await image(3).toColourspace('rgb16').png().toBuffer(),
    'anim.gif': await image(3).gif().toBuffer(),
    'photo.webp': await image(3).webp({ lossless: true }).toBuffer(),
    'scan.tiff': await image(1).tiff().toBuffer(),
    'colour.jpg': await image(3).jpeg().toBuffer(),
    'no-extension-jpeg': await image(3).jpeg().toBuffer(),
    'colour.ppm': Buffer.concat([Buffer.from(`P6 ${SIZE} ${SIZE} 255\n`), ramp(3).data]),
    'deep.pgm': Buffer.concat([
      Buffer.from(`P5 ${SIZE} ${SIZE} 65535\n`),
      Buffer.alloc(SIZE * SIZE * 2, 0x80),
    ]),
    'text.pgm': Buffer.from(`P2 ${SIZE} ${SIZE} 15 ${'7 '.repeat(SIZE * SIZE)}`),
    'bitmap.pbm': Buffer.concat([Buffer.from(`P4 ${SIZE} ${SIZE}\n`), stripedBitmap()]),
    'text-bitmap': Buffer.from(`P1\n# checks\n${SIZE} ${SIZE}\n${'10'.repeat(SIZE * SIZE / 2)}`),
  };
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return Object.keys(files).sort();
}

describe('image folder formats', () => {
  const temp = tempFolder('formats');
  const mixed = path.join(temp.dir, 'mixed');
  const cacheDir = path.join(temp.dir, 'cache');
  let loadable: string[] = [];

  before(async () => {
    fs.mkdirSync(mixed);
    loadable = await writeEveryFormat(mixed);
    const jpeg = fs.readFileSync(path.join(mixed, 'colour.jpg'));
    fs.writeFileSync(path.join(mixed, 'cut.jpg'), jpeg.subarray(0, jpeg.length >> 1));
    fs.writeFileSync(path.join(mixed, 'zero.png'), '');
    const bitmap = fs.readFileSync(path.join(mixed, 'bitmap.pbm'));
    fs.writeFileSync(path.join(mixed, 'cut.pbm'), bitmap.subarray(0, bitmap.length - 1));
    fs.writeFileSync(path.join(mixed, 'Thumbs.db'), 'not an image at all');
    // A 1x1 BMP: a picture, in a format not read here.
    const bmp = Buffer.alloc(58);
    bmp.write('BM', 0, 'ascii');
    bmp.writeUInt32LE(58, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    fs.writeFileSync(path.join(mixed, 'small.bmp'), bmp);
    fs.writeFileSync(
      path.join(mixed, 'fake.png.bad'),
      fs.readFileSync(path.join(mixed, 'grey.png')),
    );
  });
  after(temp.cleanup);

  it('loads every format by content, colour as 3 channels, strays in one line', async () => {
    const log = testLogger();
    const set = await loadDataset({ dataset: mixed, cacheDir }, log);
    assert.deepEqual(set.files, loadable);
    assert.deepEqual(
      [set.count, set.width, set.height, set.channels],
      [loadable.length, SIZE, SIZE, 3],
    );
    const skipped = log.lines.filter((line) => line.startsWith('skipped'));
    assert.equal(skipped.length, 1);
    const expected = [
      /^skipped 6 of 21 files: /,
      /2 unreadable \(cut\.jpg: .+, cut\.pbm: truncated: .+\); /,
      /1 unsupported format \(small\.bmp: BMP\); /,
      /1 empty \(zero\.png\); 1 marked \.bad \(fake\.png\.bad\); 1 not an image \(Thumbs\.db\)$/,
    ];
    for (const part of expected) assert.match(skipped[0], part);
    assert.ok(log.lineWith('channels: 3 (8 of 15 images have colour)'));
    // A grey image in a colour set has three equal channels; the 16-bit PGM is mid-grey.
    const frame = SIZE * SIZE * 3;
    const deepPgm = set.pixels.subarray(
      loadable.indexOf('deep.pgm') * frame,
      (loadable.indexOf('deep.pgm') + 1) * frame,
    );
    assert.ok(deepPgm.every((v) => v === 128));
    const text = set.pixels.subarray(
      loadable.indexOf('text.pgm') * frame,
      (loadable.indexOf('text.pgm') + 1) * frame,
    );
    assert.ok(
      text.every((v) => v === 119),
      'P2 value 7 of 15 scales to 119',
    );
    // Bitmaps: 1 is black. P4 rows alternate black and white; P1 pixels alternate along a row.
    const pixelsOf = (name: string) =>
      set.pixels.subarray(loadable.indexOf(name) * frame, (loadable.indexOf(name) + 1) * frame);
    const grey = (pixels: Uint8Array, p: number) => {
      const [r, g, b] = pixels.subarray(p * 3, p * 3 + 3);
      assert.ok(r === g && g === b, `pixel ${p} is grey`);
      return r;
    };
    const bitmap = pixelsOf('bitmap.pbm');
    const textBitmap = pixelsOf('text-bitmap');
    for (let p = 0; p < SIZE * SIZE; p++) {
      assert.equal(grey(bitmap, p), Math.floor(p / SIZE) % 2 === 0 ? 0 : 255, `P4 pixel ${p}`);
      assert.equal(grey(textBitmap, p), p % 2 === 0 ? 0 : 255, `P1 pixel ${p}`);
    }
  });

  it('gives one channel when forced, or when every image is grey', async () => {
    const forced = await loadDataset(
      { dataset: mixed, cacheDir, forceGrayscale: true },
      testLogger(),
    );
    assert.equal(forced.channels, 1);
    assert.equal(forced.pixels.length, forced.count * SIZE * SIZE);
    const grey = path.join(temp.dir, 'grey');
    fs.mkdirSync(grey);
    for (const name of ['grey.png', 'grey-alpha.png', 'scan.tiff', 'deep.pgm', 'bitmap.pbm'])
      fs.copyFileSync(path.join(mixed, name), path.join(grey, name));
    const log = testLogger();
    const set = await loadDataset({ dataset: grey, cacheDir, scale: { width: 8, height: 8 } }, log);
    assert.equal(set.channels, 1);
    assert.ok(log.lineWith('channels: 1 (all 5 images are grey)'));
  });

  it('centre-crops to the new aspect by default, squashes when asked', async () => {
    // 30x10: red | green | blue thirds. A square crop keeps only the green middle.
    const stripes = Buffer.alloc(30 * 10 * 3);
    for (let p = 0; p < 300; p++) stripes[p * 3 + Math.floor((p % 30) / 10)] = 255;
    const folder = path.join(temp.dir, 'stripes');
    fs.mkdirSync(folder);
    await sharp(stripes, { raw: { width: 30, height: 10, channels: 3 } })
      .png()
      .toFile(path.join(folder, 'stripes.png'));
    const scale = { width: 6, height: 6 };
    const cropped = await loadDataset({ dataset: folder, cacheDir, scale }, testLogger());
    const squashed = await loadDataset(
      { dataset: folder, cacheDir, scale, squash: true },
      testLogger(),
    );
    const pixel = (set: { pixels: Uint8Array }, x: number, y: number) => [
      ...set.pixels.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3),
    ];
    // The filter reaches a little past the crop: edge columns may take a tinge of their neighbour.
    const mostly = (rgb: number[], channel: number) =>
      rgb[channel] > 200 && rgb.every((v, c) => c === channel || v < 60);
    for (let x = 0; x < 6; x++)
      assert.ok(mostly(pixel(cropped, x, 3), 1), `cropped x=${x}: ${pixel(cropped, x, 3)}`);
    assert.ok(pixel(cropped, 3, 3).every((v, c) => Math.abs(v - (c === 1 ? 255 : 0)) <= 2));
    assert.ok(
      mostly(pixel(squashed, 0, 3), 0) && mostly(pixel(squashed, 5, 3), 2),
      'squashed keeps red and blue',
    );
  });

  it('takes the same seeded subset before decoding, and another for another seed', async () => {
    const options: DatasetOptions = { dataset: mixed, cacheDir, maxImages: 5 };
    const first = await loadDataset({ ...options, seed: 4 }, testLogger());
    const again = await loadDataset({ ...options, seed: 4, cache: false }, testLogger());
    const other = await loadDataset({ ...options, seed: 5 }, testLogger());
    assert.deepEqual(first.files, again.files);
    assert.notDeepEqual(first.files, other.files);
    assert.ok(
      first.count <= 5 && first.count >= 4,
      'a subset may hold a stray that is then skipped',
    );
  });

  it('loads real files that have no extension', async () => {
    const folder = path.join(temp.dir, 'no-extensions');
    fs.mkdirSync(folder);
    fs.copyFileSync(
      dataset('celeba-10k', 'img_align_celeba', '000001.jpg'),
      path.join(folder, 'face'),
    );
    fs.copyFileSync(
      dataset('yale-b-cropped', 'yaleB01', 'yaleB01_P00A+000E+00.pgm'),
      path.join(folder, 'subject'),
    );
    const set = await loadDataset(
      { dataset: folder, cacheDir, scale: { width: 20, height: 20 } },
      testLogger(),
    );
    assert.deepEqual(set.files, ['face', 'subject']);
    assert.equal(set.channels, 3);
  });

  it('reads Yale B light directions from file names when every image has one', async () => {
    const folder = path.join(temp.dir, 'light');
    fs.mkdirSync(folder);
    for (const name of [
      'yaleB02_P00A+000E+20.pgm',
      'yaleB02_P00A-110E-20.pgm',
      'yaleB02_P00A+035E+15.pgm',
    ]) {
      fs.copyFileSync(dataset('yale-b-cropped', 'yaleB02', name), path.join(folder, name));
    }
    const set = await loadDataset({ dataset: folder, cacheDir }, testLogger());
    assert.deepEqual(set.labels?.continuous?.names, ['light_azimuth', 'light_elevation']);
    assert.deepEqual(set.files, [
      'yaleB02_P00A+000E+20.pgm',
      'yaleB02_P00A+035E+15.pgm',
      'yaleB02_P00A-110E-20.pgm',
    ]);
    assert.deepEqual([...set.labels!.continuous!.values], [0, 20, 35, 15, -110, -20]);
  });
});

describe('unsupportedImageFormat', () => {
  const head = (...parts: (string | number[])[]) => Uint8Array.from(
    parts.flatMap((part) => typeof part === 'string' ? Array.from(part, (c) => c.charCodeAt(0)) : part));

  it('names pictures in formats not read here, and nothing else', () => {
    const cases: [Uint8Array, string | undefined][] = [
      [head('BM', [58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0]), 'BMP'],
      [head([0, 0, 0, 24], 'ftypheic', [0, 0, 0, 0]), 'HEIC'],
      [head([0, 0, 0, 28], 'ftypavif', [0, 0, 0, 0]), 'AVIF'],
      [head('8BPS', [0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0]), 'Photoshop PSD'],
      [head([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0, 0, 0]), 'ICO'],
      [head([0xff, 0x0a, 0, 0]), 'JPEG XL'],
      [head('BMW annual report'), undefined], // text that starts like a bitmap
      [head('Thumbs.db is not a picture'), undefined],
      [head([0, 0, 0, 24], 'ftypmp42', [0, 0, 0, 0]), undefined], // a video
    ];
    for (const [bytes, format] of cases) {
      assert.equal(unsupportedImageFormat(bytes), format, Buffer.from(bytes).toString('latin1'));
      assert.equal(sniffImageKind(bytes), undefined);
    }
  });
});
