/** Tiling images into a grid: a grid with more tiles than images leaves the rest white. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import sharp from 'sharp';

import { tile } from './grids';

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
