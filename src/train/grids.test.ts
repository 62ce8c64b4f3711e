/** Traversal grids: tiling, a large code's rows, and rendering row by row. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import sharp from 'sharp';

import { DEFAULT_TRAIN_CONFIG } from '../config/train';
import { InfoGAN } from '../model/infogan';
import { parseSpec } from '../model/spec';
import { Generator, full, memory, noGrad, randint, tensor, tidy } from '../torch';
import {
  MAX_CATEGORY_ROWS, categoricalGrid, continuousGrid, partialGridLines, randomGrid, tile,
} from './grids';

describe('tile', () => {
  it('lays images out row by row with 1-pixel white gaps, and leaves spare tiles white',
    async () => {
    // Three 1x1 grey images on a 2x2 grid: 5x5 pixels with the gaps.
    const grid = tile('samples', new Float32Array([0, 0.5, 1]), 2, 2, 1, 1, 1);
    assert.deepEqual([grid.width, grid.height, grid.channels], [5, 5, 1]);
    const pixels = await sharp(grid.png).extractChannel(0).raw().toBuffer();
    const at = (x: number, y: number) => pixels[y * 5 + x];
    assert.deepEqual([at(1, 1), at(3, 1), at(1, 3)], [0, 128, 255]);
    assert.equal(at(3, 3), 255, 'the fourth tile, with no image, is white');
    assert.equal(at(2, 1), 255, 'a gap');
  });
});

/** A tiny model of 4x4 grey images with the given categorical codes and 2 continuous ones. */
function tinyModel(categoricalCardinality: number[]): InfoGAN {
  const config = {
    ...DEFAULT_TRAIN_CONFIG, categoricalCardinality, styleSize: 3,
    generator: parseSpec('fc:16:sigmoid,reshape:4:4:1', 'generator'),
    discriminator: parseSpec('fc:8', 'discriminator'),
  };
  return new InfoGAN(config, { height: 4, width: 4, channels: 1 }, new Generator(7));
}

/** The images of a whole latent [n, latentSize] generated at once, as one grid. */
function wholeGrid(model: InfoGAN, latent: () => ReturnType<InfoGAN['latentFrom']>,
  rows: number, columns: number, count = rows * columns) {
  model.generator.eval();
  const images = tidy(() => noGrad(() => model.generate(latent()).toFloat32Array()));
  model.generator.train();
  assert.equal(images.length, count * 16);
  return tile('whole', images, rows, columns, 4, 4, 1);
}

async function pixels(png: Buffer): Promise<Buffer> {
  return sharp(png).extractChannel(0).raw().toBuffer();
}

describe('traversal grids', () => {
  it(`show the first ${MAX_CATEGORY_ROWS} values of a larger categorical code`, () => {
    const large = tinyModel([1000]);
    const small = tinyModel([12]);
    try {
      const grid = categoricalGrid(large, 0, { seed: 1, samples: 3 });
      // 256 rows and 3 columns of 4x4 images with 1-pixel gaps; a row per value would be 5001.
      assert.deepEqual([grid.width, grid.height], [3 * 5 + 1, MAX_CATEGORY_ROWS * 5 + 1]);
      assert.equal(categoricalGrid(small, 0, { seed: 1 }).height, 12 * 5 + 1, 'a row per value');
      assert.deepEqual(partialGridLines(large), ['categorical code 0 has 1000 values; its ' +
        'traversal grids show the first 256, one a row']);
      assert.deepEqual(partialGridLines(small), []);
    } finally {
      large.dispose();
      small.dispose();
    }
  });

  it('drawn row by row, match the images of the whole latent at once, and leak no tensor',
    async () => {
    const model = tinyModel([3, 5]);
    try {
      const before = memory().numTensors;
      const categorical = categoricalGrid(model, 1, { seed: 9, samples: 4 });
      const continuous = continuousGrid(model, 0, { seed: 9, samples: 2, steps: 3 });
      const random = randomGrid(model, 3, 4, 9, 10);
      assert.equal(memory().numTensors, before);

      // Categorical code 1 takes value r in row r; the fixed noise is drawn as before.
      const expectedCategorical = wholeGrid(model, () => {
        const rng = new Generator(9);
        const style = model.sampleStyle(4, rng)!.repeat([5, 1]);
        const first = randint(3, [4], rng).repeat([5]);
        const rows = tensor(BigInt64Array.from({ length: 20 }, (_, n) => BigInt(Math.floor(n / 4))),
          [20]);
        return model.latentFrom(style, [first, rows], full([20, 2], 0));
      }, 5, 4);
      assert.deepEqual(await pixels(categorical.png), await pixels(expectedCategorical.png));

      // Continuous code 0 swept over -2, 0, 2 along each row.
      const expectedContinuous = wholeGrid(model, () => {
        const rng = new Generator(9);
        const order = tensor(BigInt64Array.from([0n, 0n, 0n, 1n, 1n, 1n]), [6]);
        const style = model.sampleStyle(2, rng)!.indexSelect(0, order);
        const codes = [randint(3, [2], rng), randint(5, [2], rng)]
          .map((c) => c.indexSelect(0, order));
        const sweep = tensor(Float32Array.from([-2, 0, 0, 0, 2, 0, -2, 0, 0, 0, 2, 0]), [6, 2]);
        return model.latentFrom(style, codes, sweep);
      }, 2, 3);
      assert.deepEqual(await pixels(continuous.png), await pixels(expectedContinuous.png));

      // 10 random samples on a 3x4 grid: the same draws as sampleLatent, the last two tiles white.
      const expectedRandom = wholeGrid(model,
        () => model.sampleLatent(10, new Generator(9)).latent, 3, 4, 10);
      assert.deepEqual(await pixels(random.png), await pixels(expectedRandom.png));
    } finally {
      model.dispose();
    }
  });
});
