/**
 * Differentiable augmentation (Zhao et al., 2020, "DiffAugment"): the discriminator sees real and
 * generated images through the same random transforms, and the generator's adversarial gradient
 * flows back through them, so on a small set D cannot memorise the real images while G still
 * learns the untransformed distribution.
 *
 * Every transform is a product with constant tensors built from the step's random numbers, so
 * gradients pass through: a shift (and a mirror) is a pair of per-image 0/1 matrices on each side
 * of the image, cutout a per-image 0/1 mask.
 */
import { Generator, Tensor, rand, tensor, tidy } from '../torch';
import { UserError } from '../util/log';

export type Augmentation = 'translation' | 'cutout' | 'flip';

export const AUGMENTATIONS: readonly Augmentation[] = ['translation', 'cutout', 'flip'];

/** Largest shift, as a fraction of the image's side (DiffAugment's choice). */
const TRANSLATION_RATIO = 0.125;
/** Side of the cut-out square, as a fraction of the image's side (DiffAugment's choice). */
const CUTOUT_RATIO = 0.5;

/** Parses `--augment translation,cutout,flip`; `none` or '' gives []. */
export function parseAugmentations(text: string): Augmentation[] {
  if (text === '' || text === 'none') return [];
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(AUGMENTATIONS as readonly string[]).includes(name)) {
      const got = name === '' ? `an empty name in '${text}'` : `'${name}'`;
      throw new UserError(`--augment expects a comma-separated list of ${AUGMENTATIONS.join(', ')} ` +
        `(or none), got ${got}`, 2);
    }
  }
  return [...new Set(names as Augmentation[])];
}

/**
 * `images` [batch, channels, height, width] through the given transforms, drawn per image from
 * `rng`. Returns `images` itself when there are none.
 */
export function augment(images: Tensor, augmentations: readonly Augmentation[],
  rng: Generator): Tensor {
  if (augmentations.length === 0) return images;
  const [batch, , height, width] = images.shape;
  return tidy(() => {
    let result = images;
    const translate = augmentations.includes('translation');
    const flip = augmentations.includes('flip');
    if (translate || flip) {
      const draws = rand([batch, 3], rng).toArray() as number[];
      const rows = new Float32Array(batch * height * height);
      const columns = new Float32Array(batch * width * width);
      for (let b = 0; b < batch; b++) {
        const dy = translate ? shiftFrom(draws[3 * b], height) : 0;
        const dx = translate ? shiftFrom(draws[3 * b + 1], width) : 0;
        const mirror = flip && draws[3 * b + 2] < 0.5;
        // Left factor: output row i takes input row i - dy (zero outside the image).
        for (let i = 0; i < height; i++) {
          const from = i - dy;
          if (from >= 0 && from < height) rows[(b * height + i) * height + from] = 1;
        }
        // Right factor: output column k takes input column k - dx, mirrored first when flipped.
        for (let k = 0; k < width; k++) {
          let from = k - dx;
          if (from < 0 || from >= width) continue;
          if (mirror) from = width - 1 - from;
          columns[(b * width + from) * width + k] = 1;
        }
      }
      const left = tensor(rows, [batch, 1, height, height]);
      const right = tensor(columns, [batch, 1, width, width]);
      result = left.matmul(result).matmul(right);
    }
    if (augmentations.includes('cutout')) {
      const draws = rand([batch, 2], rng).toArray() as number[];
      const mask = new Float32Array(batch * height * width).fill(1);
      const cutHeight = Math.round(height * CUTOUT_RATIO);
      const cutWidth = Math.round(width * CUTOUT_RATIO);
      for (let b = 0; b < batch; b++) {
        // The square's centre is anywhere in the image; the part inside the image is cut.
        const top = Math.floor(draws[2 * b] * (height + 1 - (cutHeight % 2))) - (cutHeight >> 1);
        const left = Math.floor(draws[2 * b + 1] * (width + 1 - (cutWidth % 2))) - (cutWidth >> 1);
        for (let y = Math.max(0, top); y < Math.min(height, top + cutHeight); y++) {
          mask.fill(0, (b * height + y) * width + Math.max(0, left),
            (b * height + y) * width + Math.min(width, left + cutWidth));
        }
      }
      result = result.mul(tensor(mask, [batch, 1, height, width]));
    }
    return result;
  });
}

/** A shift in [-max, max] pixels for a uniform draw in [0, 1), max = ratio * side. */
function shiftFrom(draw: number, side: number): number {
  const max = Math.floor(side * TRANSLATION_RATIO + 0.5);
  return Math.min(max, Math.floor(draw * (2 * max + 1)) - max);
}
