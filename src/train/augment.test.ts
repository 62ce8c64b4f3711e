import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Generator, tensor, tidy } from '../torch';
import { augment, parseAugmentations } from './augment';

const SIDE = 16;
const BATCH = 12;

/** Images whose every pixel is distinct and non-zero, so any moved pixel can be told apart. */
function distinctImages(): number[] {
  return Array.from({ length: BATCH * SIDE * SIDE }, (_, i) => 1 + i);
}

function run(kinds: string, seed = 5): number[] {
  return tidy(() => {
    const images = tensor(distinctImages(), [BATCH, 1, SIDE, SIDE]);
    return augment(images, parseAugmentations(kinds), new Generator(seed)).toArray() as number[];
  });
}

function pixel(data: number[], b: number, y: number, x: number): number {
  return data[(b * SIDE + y) * SIDE + x];
}

/** The (dy, dx, mirror) that makes image b of `output` from image b of `input`, or null. */
function findTransform(input: number[], output: number[], b: number, flips: boolean[]) {
  const max = Math.round(SIDE * 0.125);
  for (const mirror of flips) {
    for (let dy = -max; dy <= max; dy++) {
      for (let dx = -max; dx <= max; dx++) {
        let same = true;
        for (let y = 0; y < SIDE && same; y++) {
          for (let x = 0; x < SIDE && same; x++) {
            const sy = y - dy;
            let sx = x - dx;
            const inside = sy >= 0 && sy < SIDE && sx >= 0 && sx < SIDE;
            if (mirror) sx = SIDE - 1 - sx;
            const want = inside ? pixel(input, b, sy, sx) : 0;
            same = pixel(output, b, y, x) === want;
          }
        }
        if (same) return { dy, dx, mirror };
      }
    }
  }
  return null;
}

describe('augment', () => {
  it('shifts each image by at most an eighth of its side, filling with zeros', () => {
    const input = distinctImages();
    const output = run('translation');
    const shifts = new Set<string>();
    for (let b = 0; b < BATCH; b++) {
      const found = findTransform(input, output, b, [false]);
      assert.ok(found, `image ${b} is not a shifted copy`);
      shifts.add(`${found.dy},${found.dx}`);
    }
    assert.ok(shifts.size > 1, 'every image got the same shift');
  });

  it('mirrors some images left to right and leaves the others', () => {
    const input = distinctImages();
    const output = run('flip');
    const mirrored = [];
    for (let b = 0; b < BATCH; b++) {
      const found = findTransform(input, output, b, [false, true]);
      assert.ok(found && found.dx === 0 && found.dy === 0, `image ${b} is neither itself nor mirrored`);
      mirrored.push(found.mirror);
    }
    assert.ok(mirrored.includes(true) && mirrored.includes(false));
  });

  it('cuts out at most a square of half the side, keeping every other pixel', () => {
    const input = distinctImages();
    const output = run('cutout');
    for (let b = 0; b < BATCH; b++) {
      let cut = 0;
      for (let i = b * SIDE * SIDE; i < (b + 1) * SIDE * SIDE; i++) {
        if (output[i] === 0) cut++;
        else assert.equal(output[i], input[i]);
      }
      assert.ok(cut > 0 && cut <= (SIDE / 2) ** 2, `image ${b}: ${cut} pixels cut`);
    }
  });

  it('draws from the generator it is given: the same seed, the same transforms', () => {
    assert.deepEqual(run('translation,cutout,flip', 9), run('translation,cutout,flip', 9));
    assert.notDeepEqual(run('translation,cutout,flip', 9), run('translation,cutout,flip', 10));
  });

  it('passes gradients back to the pixels that were kept', () => tidy(() => {
    const images = tensor(distinctImages(), [BATCH, 1, SIDE, SIDE]);
    images.requiresGrad = true;
    const output = augment(images, ['translation', 'cutout'], new Generator(3));
    output.sum().backward();
    const grad = images.grad!.toArray() as number[];
    const kept = (output.toArray() as number[]).filter((v) => v !== 0).length;
    assert.ok(grad.every((g) => g === 0 || g === 1));
    assert.equal(grad.filter((g) => g === 1).length, kept);
  }));

  it('returns the images themselves when there is nothing to apply', () => tidy(() => {
    const images = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    assert.equal(augment(images, [], new Generator(1)), images);
  }));
});

describe('parseAugmentations', () => {
  it('reads a comma-separated list, once each, and none', () => {
    assert.deepEqual(parseAugmentations('translation,cutout'), ['translation', 'cutout']);
    assert.deepEqual(parseAugmentations('flip, flip'), ['flip']);
    assert.deepEqual(parseAugmentations('none'), []);
  });

  it('names the flag and the choices for an unknown transform', () => {
    assert.throws(() => parseAugmentations('translation,rotate'),
      /--augment expects .*translation, cutout, flip.*'rotate'/);
    assert.throws(() => parseAugmentations('translation,,cutout'),
      /got an empty name in 'translation,,cutout'$/);
  });
});
