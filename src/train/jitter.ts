/**
 * Small geometric changes that should not change what a categorical code means: a shift, a
 * shear (slant) and a stretch. With `--invariance_lambda`, Q must also name the categorical
 * codes of generated images seen through them, so the generator cannot spend a category on where
 * a digit sits, how it leans or how wide it is (the continuous codes' and the style's business)
 * and the categories are left to tell shapes apart.
 *
 * Each output pixel is a bilinear mix of four input pixels: constant indices and weights built
 * from the step's random numbers, applied with index-select and multiply, so gradients reach the
 * generator.
 */
import { Generator, Tensor, rand, tensor, tidy } from '../torch';

/** Largest shift, as a fraction of the image's side. */
export const JITTER_SHIFT = 0.1;
/** Largest horizontal shear: columns a row moves per row it lies from the image's centre. */
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
    // Output pixel (y, x) reads the input at (fromY, fromX) with bilinear weights: four taps, each
    // an index into the flattened batch and a weight (0 where the tap falls outside the image).
    const centreY = (height - 1) / 2;
    const centreX = (width - 1) / 2;
    const plane = height * width;
    const count = batch * channels * plane;
    const indices = Array.from({ length: 4 }, () => new Int32Array(count));
    const weights = Array.from({ length: 4 }, () => new Float32Array(count));
    for (let b = 0; b < batch; b++) {
      const d = draws[b];
      for (let y = 0; y < height; y++) {
        const fromY = centreY + (y - centreY) / d.stretchY - d.shiftY;
        const slant = d.shear * (y - centreY);
        const y0 = Math.floor(fromY);
        const ty = fromY - y0;
        for (let x = 0; x < width; x++) {
          const fromX = centreX + (x - centreX) / d.stretchX - slant - d.shiftX;
          const x0 = Math.floor(fromX);
          const tx = fromX - x0;
          for (let tap = 0; tap < 4; tap++) {
            const row = y0 + (tap >> 1);
            const column = x0 + (tap & 1);
            const weight = (tap >> 1 ? ty : 1 - ty) * (tap & 1 ? tx : 1 - tx);
            if (row < 0 || row >= height || column < 0 || column >= width || weight === 0) continue;
            for (let c = 0; c < channels; c++) {
              const at = (b * channels + c) * plane + y * width + x;
              indices[tap][at] = (b * channels + c) * plane + row * width + column;
              weights[tap][at] = weight;
            }
          }
        }
      }
    }
    const flat = images.reshape([count]);
    let result: Tensor | null = null;
    for (let tap = 0; tap < 4; tap++) {
      const term = flat.indexSelect(0, tensor(indices[tap])).mul(tensor(weights[tap]));
      result = result ? result.add(term) : term;
    }
    return result!.reshape([batch, channels, height, width]);
  });
}
