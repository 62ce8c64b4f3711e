import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { batchToFloat } from './batch';
import type { ImageDataset } from './types';

/** Three 2x2 RGB images whose byte at (image, y, x, c) is 100 * image + 10 * (2y + x) + c. */
function tinyColourSet(): ImageDataset {
  const pixels = new Uint8Array(3 * 2 * 2 * 3);
  for (let image = 0; image < 3; image++) {
    for (let p = 0; p < 4; p++) {
      for (let c = 0; c < 3; c++) pixels[image * 12 + p * 3 + c] = 100 * image + 10 * p + c;
    }
  }
  return { source: 'test', count: 3, height: 2, width: 2, channels: 3, pixels };
}

describe('batchToFloat', () => {
  it('lays out [batch, channels, height, width] in [0, 1]', () => {
    const batch = batchToFloat(tinyColourSet(), [2, 0]);
    assert.equal(batch.length, 2 * 3 * 4);
    // batch 0 is image 2: channel 1 plane holds 201, 211, 221, 231.
    const plane = Array.from(batch.subarray(4, 8), (v) => Math.round(v * 255));
    assert.deepEqual(plane, [201, 211, 221, 231]);
    // batch 1 is image 0: channel 2, pixel (y=1, x=0) = p 2 -> 22.
    assert.equal(batch[12 + 2 * 4 + 2], Math.fround(22 / 255));
    assert.equal(Math.max(...batch), Math.fround(232 / 255));
  });

  it('maps 0 and 255 to exactly 0 and 1', () => {
    const pixels = Uint8Array.from([0, 255]);
    const set: ImageDataset = {
      source: 'test',
      count: 2,
      height: 1,
      width: 1,
      channels: 1,
      pixels,
    };
    assert.deepEqual([...batchToFloat(set, Int32Array.from([0, 1]))], [0, 1]);
  });

  it('fills and returns a given buffer, and refuses a short one or a bad index', () => {
    const out = new Float32Array(100).fill(-1);
    const batch = batchToFloat(tinyColourSet(), [1], out);
    assert.equal(batch.buffer, out.buffer);
    assert.equal(batch.length, 12);
    assert.equal(out[12], -1);
    assert.throws(() => batchToFloat(tinyColourSet(), [0, 1], new Float32Array(10)), RangeError);
    assert.throws(() => batchToFloat(tinyColourSet(), [3]), /indices in \[0, 3\)/);
  });
});
