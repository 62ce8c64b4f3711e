import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Generator, tensor, tidy } from '../torch';
import { JITTER_SHEAR, JITTER_SHIFT, JITTER_STRETCH, jitter, jitterDraw, type JitterDraw } from './jitter';

const SIDE = 12;

const still: JitterDraw = { shiftY: 0, shiftX: 0, stretchY: 1, stretchX: 1, shear: 0 };

function image(fill: (y: number, x: number) => number): number[] {
  return Array.from({ length: SIDE * SIDE }, (_, i) => fill(Math.floor(i / SIDE), i % SIDE));
}

function through(pixels: number[], draw: JitterDraw): number[] {
  return tidy(() => jitter(tensor(pixels, [1, 1, SIDE, SIDE]), new Generator(1), [draw])
    .toArray() as number[]);
}

describe('jitter', () => {
  const ramp = image((y, x) => 1 + y * SIDE + x);

  it('leaves an image unchanged when the draw does nothing', () => {
    assert.deepEqual(through(ramp, still), ramp);
  });

  it('moves whole pixels for whole shifts, reading zero from outside the image', () => {
    const out = through(ramp, { ...still, shiftY: 2, shiftX: -1 });
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const sy = y - 2;
        const sx = x + 1;
        const want = sy >= 0 && sx < SIDE ? ramp[sy * SIDE + sx] : 0;
        assert.equal(out[y * SIDE + x], want, `pixel (${y}, ${x})`);
      }
    }
  });

  it('interpolates half a pixel as the mean of two neighbours', () => {
    const out = through(ramp, { ...still, shiftX: 0.5 });
    // Output column x reads input column x - 0.5.
    assert.equal(out[3 * SIDE + 5], (ramp[3 * SIDE + 4] + ramp[3 * SIDE + 5]) / 2);
    assert.equal(out[3 * SIDE], ramp[3 * SIDE] / 2);
  });

  it('slants: rows below the centre move one way, rows above the other', () => {
    // A vertical line through the centre column.
    const line = image((_, x) => (x === 6 ? 1 : 0));
    const out = through(line, { ...still, shear: 1 });
    const columnOf = (y: number) => out.slice(y * SIDE, (y + 1) * SIDE)
      .reduce((sum, v, x) => sum + v * x, 0) / out.slice(y * SIDE, (y + 1) * SIDE)
      .reduce((a, b) => a + b, 0);
    // Row y reads column x - (y - 5.5): the line appears at 6 + (y - 5.5).
    assert.ok(Math.abs(columnOf(2) - 2.5) < 1e-5, String(columnOf(2)));
    assert.ok(Math.abs(columnOf(9) - 9.5) < 1e-5, String(columnOf(9)));
  });

  it('stretches about the centre, keeping a centred blob centred', () => {
    const blob = image((y, x) => (Math.abs(y - 5.5) < 2 && Math.abs(x - 5.5) < 2 ? 1 : 0));
    const wide = through(blob, { ...still, stretchX: 1.5 });
    const mass = (data: number[]) => data.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(mass(wide) / mass(blob) - 1.5) < 1e-5, String(mass(wide) / mass(blob)));
    const meanX = wide.reduce((sum, v, i) => sum + v * (i % SIDE), 0) / mass(wide);
    assert.ok(Math.abs(meanX - 5.5) < 1e-5, String(meanX));
  });

  it('draws within the documented ranges, the extremes at 0 and 1', () => {
    const low = jitterDraw([0, 0, 0, 0, 0], 28, 28);
    const high = jitterDraw([1, 1, 1, 1, 1], 28, 28);
    assert.ok(Math.abs(low.shiftY + JITTER_SHIFT * 28) < 1e-9);
    assert.ok(Math.abs(high.shiftX - JITTER_SHIFT * 28) < 1e-9);
    assert.ok(Math.abs(low.stretchX - 1 / JITTER_STRETCH) < 1e-9);
    assert.ok(Math.abs(high.stretchY - JITTER_STRETCH) < 1e-9);
    assert.ok(Math.abs(low.shear + JITTER_SHEAR) < 1e-9);
    assert.deepEqual(jitterDraw([0.5, 0.5, 0.5, 0.5, 0.5], 28, 28),
      { shiftY: 0, shiftX: 0, stretchY: 1, stretchX: 1, shear: 0 });
  });

  it('passes gradients back to the images, and repeats for the same seed', () => {
    tidy(() => {
      const pixels = tensor(Array.from({ length: 2 * 3 * SIDE * SIDE }, (_, i) => (i % 7) / 7),
        [2, 3, SIDE, SIDE]);
      pixels.requiresGrad = true;
      const a = jitter(pixels, new Generator(9));
      const b = jitter(pixels, new Generator(9));
      assert.deepEqual(a.shape, [2, 3, SIDE, SIDE]);
      assert.deepEqual(a.toArray(), b.toArray());
      a.sum().backward();
      const grad = pixels.grad!.toArray() as number[];
      assert.ok(grad.some((g) => g > 0));
    });
  });
});
