/**
 * The native JPEG path against Pillow and sharp on real CelebA faces, its per-file failures, its
 * grey output, and its place in the folder loader (CMYK falls back to sharp).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';

import { loadDataset } from './index';
import { decodeJpegFiles, jpegBinding, type JpegResult, probeJpegFiles } from './jpeg';
import { dataset, tempFolder, testLogger } from './testing';

const PYTHON = '/usr/bin/python3';
const hasPillow = spawnSync(PYTHON, ['-c', 'import PIL']).status === 0;
const built = jpegBinding() !== undefined;
const needsPillow = { skip: !hasPillow && 'no Pillow (apt-get install python3-pil)' };

/** The first `count` CelebA faces (89x109 colour JPEGs). */
function faces(count: number): string[] {
  const folder = dataset('celeba-10k', 'img_align_celeba');
  return fs
    .readdirSync(folder)
    .sort()
    .slice(0, count)
    .map((name) => path.join(folder, name));
}

/** Pillow's ImageOps.fit (or a plain resize to squash) with Lanczos; all files' bytes in a row. */
function pillow(files: string[], side: number, mode: 'RGB' | 'L', squash = false): Buffer {
  const script = `
import sys
from PIL import Image, ImageOps
side, mode, squash = int(sys.argv[1]), sys.argv[2], sys.argv[3] == '1'
for name in sys.argv[4:]:
    with Image.open(name) as im:
        im = im.convert(mode)
        out = im.resize((side, side), Image.LANCZOS) if squash else \\
            ImageOps.fit(im, (side, side), Image.LANCZOS)
        sys.stdout.buffer.write(out.tobytes())
`;
  const args = ['-c', script, String(side), mode, squash ? '1' : '0', ...files];
  const result = spawnSync(PYTHON, args, { maxBuffer: 1 << 28 });
  assert.equal(result.status, 0, String(result.stderr));
  return result.stdout;
}

/** Decodes `files` through the native path into one buffer, [files, side, side, channels]. */
async function native(
  files: (string | Uint8Array)[],
  side: number,
  options: { gray?: boolean; squash?: boolean; threads?: number } = {},
): Promise<{ pixels: Uint8Array; results: JpegResult[] }> {
  const channels = options.gray ? 1 : 3;
  const frame = side * side * channels;
  const pixels = new Uint8Array(files.length * frame);
  const results: JpegResult[] = [];
  const settings = {
    scale: { width: side, height: side },
    squash: options.squash === true,
    grayscale: options.gray === true,
  };
  const size = { width: side, height: side };
  const output = { pixels, offsets: Float64Array.from(files, (_, i) => i * frame) };
  await decodeJpegFiles(files, size, settings, options.threads ?? 2, output, (i, result) => {
    results[i] = result;
  });
  return { pixels, results };
}

function meanAbsDifference(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

const needsBinding = { skip: !built && 'build/Release/infogan_image.node not built' };

describe('native JPEG decoder', needsBinding, () => {
  const files = faces(40);

  it('matches Pillow (ImageOps.fit, Lanczos) on CelebA faces', needsPillow, async () => {
    // 64 and 100: a full decode then Lanczos, as Pillow does; 32 and 16 decode at 1/2 and 1/4
    // DCT scale, which Pillow does not, so they differ a little more.
    const tolerances = [
      [64, 0.3],
      [100, 0.3],
      [32, 2],
      [16, 3],
    ];
    for (const [side, tolerance] of tolerances) {
      const { pixels } = await native(files, side);
      const difference = meanAbsDifference(pixels, pillow(files, side, 'RGB'));
      assert.ok(difference < tolerance, `${side}x${side}: mean |ours - Pillow| ${difference}`);
    }
  });

  it('squashes like a plain Pillow resize', needsPillow, async () => {
    const { pixels } = await native(files, 48, { squash: true });
    const difference = meanAbsDifference(pixels, pillow(files, 48, 'RGB', true));
    assert.ok(difference < 0.5, `mean |ours - Pillow| ${difference}`);
  });

  it("gives JPEG's luma for grey output, as Pillow's 'L' (ITU-R 601-2)", needsPillow, async () => {
    const { pixels, results } = await native(files, 64, { gray: true });
    assert.ok(results.every((r) => 'channels' in r && r.channels === 1 && r.gray));
    const difference = meanAbsDifference(pixels, pillow(files, 64, 'L'));
    assert.ok(difference < 0.5, `mean |ours - Pillow L| ${difference}`);
  });

  it('stays close to sharp, the path it replaced, and equals it without resizing', async () => {
    const some = files.slice(0, 12);
    const { pixels } = await native(some, 64);
    const reference = await Promise.all(
      some.map((file) => sharp(file).resize(64, 64, { fit: 'cover' }).raw().toBuffer()),
    );
    const difference = meanAbsDifference(pixels, Buffer.concat(reference));
    assert.ok(difference < 0.5, `mean |ours - sharp| ${difference}`);

    // No --scale_dataset: a plain decode, byte for byte what libvips' libjpeg-turbo gives.
    const frame = 89 * 109 * 3;
    const exact = new Uint8Array(some.length * frame);
    const output = { pixels: exact, offsets: Float64Array.from(some, (_, i) => i * frame) };
    const settings = { squash: false, grayscale: false };
    const results: JpegResult[] = [];
    await decodeJpegFiles(some, { width: 89, height: 109 }, settings, 2, output, (i, result) => {
      results[i] = result;
    });
    for (const [i, file] of some.entries()) {
      assert.deepEqual(results[i], { channels: 3, gray: false }, file);
      const reference = new Uint8Array(await sharp(file).raw().toBuffer());
      assert.deepEqual(exact.subarray(i * frame, (i + 1) * frame), reference, file);
    }
  });

  it('gives the same bytes for any thread count and for bytes or paths', async () => {
    const one = await native(files, 40, { threads: 1 });
    const three = await native(files, 40, { threads: 3 });
    const bytes = await native(
      files.map((file) => fs.readFileSync(file)),
      40,
      { threads: 2 },
    );
    assert.deepEqual(three.pixels, one.pixels);
    assert.deepEqual(bytes.pixels, one.pixels);
  });

  it('reports a grey JPEG as one channel and a colour JPEG with R = G = B as grey', async () => {
    const oneChannel = dataset('lfw-people', 'Ariel_Sharon', 'Ariel_Sharon_0001.jpg');
    const ramp = Buffer.alloc(32 * 32).map((_, p) => (p * 7) % 256);
    const rgb = Buffer.alloc(32 * 32 * 3).map((_, i) => ramp[Math.floor(i / 3)]);
    const threeEqual = await sharp(rgb, { raw: { width: 32, height: 32, channels: 3 } })
      .jpeg({ chromaSubsampling: '4:4:4' })
      .toBuffer();
    const { results } = await native([oneChannel, threeEqual, fs.readFileSync(files[0])], 16);
    const summary = results.map((r) => ('channels' in r ? [r.channels, r.gray] : r));
    assert.deepEqual(summary, [
      [1, true],
      [3, true],
      [3, false],
    ]);
  });

  it('fails a truncated or foreign file at its own index, leaving the others intact', async () => {
    const good = fs.readFileSync(files[0]);
    const sources = [
      good.subarray(0, good.length >> 1),
      files[1],
      good.subarray(0, good.length - 2), // no end-of-image marker: truncated too
      Buffer.from('P5 2 2 255\n\x00\x01\x02\x03'),
      new Uint8Array(0),
      '/no/such/face.jpg',
      good,
    ];
    const { pixels, results } = await native(sources, 24);
    const errors = results.map((r) => ('error' in r ? r.error : 'ok'));
    assert.match(errors[0], /Premature end of JPEG file/);
    assert.equal(errors[1], 'ok');
    assert.match(errors[2], /Premature end of JPEG file/);
    assert.match(errors[3], /Not a JPEG file/);
    assert.match(errors[4], /Empty input file/);
    assert.match(errors[5], /cannot open: No such file or directory/);
    assert.equal(errors[6], 'ok');
    const alone = await native([files[1], good], 24);
    const frame = 24 * 24 * 3;
    assert.deepEqual(pixels.subarray(frame, 2 * frame), alone.pixels.subarray(0, frame));
    assert.deepEqual(pixels.subarray(6 * frame), alone.pixels.subarray(frame));
  });

  it('fails a file whose image data is corrupt, not only one cut short', async () => {
    // Every 37th byte from 800 on scrambled: the rows the resize reads come out as grey blocks.
    const scrambled = Buffer.from(fs.readFileSync(files[0]));
    for (let at = 800; at < scrambled.length - 2; at += 37) scrambled[at] ^= 0x5a;
    const { results } = await native([scrambled, files[0]], 24);
    assert.match('error' in results[0] ? results[0].error : 'decoded', /Corrupt JPEG data/);
    assert.ok(!('error' in results[1]));
  });

  it('gives the same pixels whether or not it may stop below the rows the resize reads', async () => {
    // A byte after the end-of-image marker makes the decoder read every row to the end.
    const good = fs.readFileSync(files[0]);
    const padded = Buffer.concat([good, Buffer.from([0])]);
    for (const side of [24, 64]) {
      const { pixels, results } = await native([good, padded], side);
      assert.deepEqual(results.map((r) => 'error' in r), [false, false]);
      const frame = side * side * 3;
      assert.deepEqual(pixels.subarray(0, frame), pixels.subarray(frame, 2 * frame), `${side}`);
    }
  });

  it('leaves CMYK to sharp, and reads sizes from headers', async () => {
    const cmyk = await sharp(files[0]).toColourspace('cmyk').jpeg().toBuffer();
    const { results } = await native([cmyk], 16);
    assert.deepEqual(results, [{ unsupported: 'CMYK' }]);
    const sizes = await probeJpegFiles([files[0], cmyk, Buffer.from('nope')], 2);
    assert.deepEqual(sizes.slice(0, 2), [
      { width: 89, height: 109 },
      { width: 89, height: 109 },
    ]);
    assert.match((sizes[2] as { error: string }).error, /Not a JPEG file/);
  });

  it('refuses offsets outside the output buffer before touching memory', () => {
    const binding = jpegBinding()!;
    const options = { width: 8, height: 8, gray: false, fit: 'crop' as const, threads: 1 };
    assert.throws(
      () => binding.decodeJpegs([files[0]], options, new Uint8Array(100), [0]),
      /offset 0 is outside out/,
    );
    assert.throws(
      () => binding.decodeJpegs([files[0], files[1]], options, new Uint8Array(400), [0]),
      /one offset per source/,
    );
  });
});

describe('JPEGs in the folder loader', () => {
  const temp = tempFolder('jpeg');
  after(temp.cleanup);
  const folder = path.join(temp.dir, 'faces');
  const cacheDir = path.join(temp.dir, 'cache');

  before(async () => {
    fs.mkdirSync(folder);
    for (const file of faces(6)) fs.copyFileSync(file, path.join(folder, path.basename(file)));
    const first = fs.readFileSync(path.join(folder, '000001.jpg'));
    const cmyk = await sharp(first).toColourspace('cmyk').jpeg().toBuffer();
    fs.writeFileSync(path.join(folder, 'cmyk.jpg'), cmyk);
    fs.writeFileSync(path.join(folder, 'cut.jpg'), first.subarray(0, 1500));
  });

  it('decodes JPEGs natively, CMYK through sharp, and skips a truncated one', async () => {
    const log = testLogger();
    const scale = { width: 32, height: 32 };
    const set = await loadDataset({ dataset: folder, scale, cacheDir, cache: false }, log);
    assert.deepEqual(set.files, [
      '000001.jpg',
      '000002.jpg',
      '000003.jpg',
      '000004.jpg',
      '000005.jpg',
      '000006.jpg',
      'cmyk.jpg',
    ]);
    assert.equal(set.channels, 3);
    assert.match(
      log.lineWith('skipped')!,
      /^skipped 1 of 8 files: 1 unreadable \(cut\.jpg: .*premature end of JPEG .*\)$/i,
    );
    // The CMYK copy, through sharp's colour conversion, still looks like the face it came from.
    const frame = 32 * 32 * 3;
    const original = set.pixels.subarray(0, frame);
    const difference = meanAbsDifference(original, set.pixels.subarray(6 * frame));
    assert.ok(difference < 12, `CMYK copy differs by ${difference}`);
  });

  it('reads the common size from JPEG headers when no --scale_dataset is given', async () => {
    const set = await loadDataset({ dataset: folder, cacheDir, cache: false }, testLogger());
    assert.deepEqual([set.count, set.width, set.height, set.channels], [7, 89, 109, 3]);
  });
});
