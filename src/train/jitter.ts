/**
 * Small geometric changes that should not change what a categorical code means: a shift, a
 * shear (slant) and a stretch. With `--invariance_lambda`, Q must also name the categorical
 * codes of generated images seen through them, so the generator cannot spend a category on where
 * a digit sits, how it leans or how wide it is (the continuous codes' and the style's business)
 * and the categories are left to tell shapes apart.
 *
 * Each image is resampled with bilinear weights as a product with constant matrices built from the
 * step's random numbers, so gradients reach the generator: one [H, H] matrix per image moves and
 * stretches rows, then one [W, W] matrix per image row moves, stretches and slants that row.
 */
import { Generator, Tensor, rand, tensor, tidy } from '../torch';

/** Largest shift, as a fraction of the image's side. */
export const JITTER_SHIFT = 0.1;
/** Largest horizontal shear: a row this far from the centre (in rows) moves this many columns. */
export const JITTER_SHEAR = 0.3;
/** Largest stretch factor (and its inverse, the largest squeeze), per axis. */
export const JITTER_STRETCH = 1.2;

/** One image's draw: where output pixel (y, x) is read from in the input. */
export interface JitterDraw {
  shiftY: number;
  shiftX: number;
  stretchY: number;
  stretchX: number;
  shear: number;
}

/** The draw for five uniform numbers in [0, 1), on an image `height` x `width`. */
export function jitterDraw(u: readonly number[], height: number, width: number): JitterDraw {
  const between = (t: number, low: number, high: number) => low + t * (high - low);
  const stretch = (t: number) => Math.exp(between(t, -1, 1) * Math.log(JITTER_STRETCH));
  return {
    shiftY: between(u[0], -1, 1) * JITTER_SHIFT * height,
    shiftX: between(u[1], -1, 1) * JITTER_SHIFT * width,
    stretchY: stretch(u[2]),
    stretchX: stretch(u[3]),
    shear: between(u[4], -1, 1) * JITTER_SHEAR,
  };
}

/**
 * Adds to `matrix` (row-major, `size` x `size`, [input, output] when `outputMajor` is false,
 * [output, input] when true) the bilinear weights reading output index `out` from input position
 * `from`; positions outside the image read zero.
 */
function addBilinear(matrix: Float32Array, offset: number, size: number, out: number, from: number,
  outputMajor: boolean): void {
  const low = Math.floor(from);
  const t = from - low;
  for (const [index, weight] of [[low, 1 - t], [low + 1, t]] as const) {
    if (index < 0 || index >= size || weight === 0) continue;
    matrix[offset + (outputMajor ? out * size + index : index * size + out)] += weight;
  }
}

/**
 * `images` [batch, channels, height, width] through one jitter per image, drawn from `rng`, or
 * through `draws` when given (tests).
 */
export function jitter(images: Tensor, rng: Generator, draws?: readonly JitterDraw[]): Tensor {
  const [batch, channels, height, width] = images.shape;
  return tidy(() => {
    if (!draws) {
      const u = rand([batch, 5], rng).toArray() as number[];
      draws = Array.from({ length: batch }, (_, b) => jitterDraw(u.slice(5 * b, 5 * b + 5),
        height, width));
    }
    const centreY = (height - 1) / 2;
    const centreX = (width - 1) / 2;
    const rows = new Float32Array(batch * height * height);
    const columns = new Float32Array(batch * height * width * width);
    for (let b = 0; b < batch; b++) {
      const d = draws[b];
      for (let y = 0; y < height; y++) {
        const fromY = centreY + (y - centreY) / d.stretchY - d.shiftY;
        addBilinear(rows, b * height * height, height, y, fromY, true);
        const slant = d.shear * (y - centreY);
        for (let x = 0; x < width; x++) {
          const fromX = centreX + (x - centreX) / d.stretchX - slant - d.shiftX;
          addBilinear(columns, (b * height + y) * width * width, width, x, fromX, false);
        }
      }
    }
    const moved = tensor(rows, [batch, 1, height, height]).matmul(images);
    return moved.reshape([batch, channels, height, 1, width])
      .matmul(tensor(columns, [batch, 1, height, width, width]))
      .reshape([batch, channels, height, width]);
  });
}
