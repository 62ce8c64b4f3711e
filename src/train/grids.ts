/**
 * Latent traversals: pictures of what each code does, drawn from FIXED noise so that grids from
 * different iterations (and runs with the same seed) compare.
 *
 * - categorical code i: one row per category (the first MAX_CATEGORY_ROWS of a larger code), one
 *   column per fixed noise sample;
 * - continuous code j: one row per fixed noise sample, the code swept over a range in columns
 *   (by default linspace(-2, 2, 10), past the training range [-1, 1]).
 * Every other code stays at its fixed value for that row or column (continuous codes at 0).
 */
import { Generator, Tensor, full, noGrad, randint, tidy, tensor } from '../torch';
import type { InfoGAN } from '../model/infogan';
import { encodePng } from '../util/png';

export interface Grid {
  /** `categorical_0`, `continuous_1`, or `samples`. */
  name: string;
  /** [rows, columns, channels, height, width] images in [0, 1] as a float array. */
  png: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
}

export interface TraversalOptions {
  /** Seed of the fixed noise; the same seed gives the same noise at every iteration. */
  seed: number;
  /** Columns of a categorical grid and rows of a continuous grid. Default: 10. */
  samples?: number;
  /** Sweep of continuous codes. Default: [-2, 2]. */
  range?: [number, number];
  /** Columns of a continuous grid. Default: 10. */
  steps?: number;
}

/**
 * Rows of a categorical grid: a code with more values shows its first ones. As `infogan sample`'s
 * limit of images a side, it keeps one picture legible, and keeps a plot of a large code (a
 * 10,000-way one, say) from generating every value for every sample at each --plot_every.
 */
export const MAX_CATEGORY_ROWS = 256;

/** Values of categorical code `index` that its grid shows, one per row: the first ones. */
export function categoryRows(model: InfoGAN, index: number): number {
  return Math.min(model.categorical[index], MAX_CATEGORY_ROWS);
}

/** A line per categorical code whose grids show only some of its values, for the log. */
export function partialGridLines(model: InfoGAN): string[] {
  return model.categorical.flatMap((k, i) => k <= MAX_CATEGORY_ROWS ? [] :
    [`categorical code ${i} has ${k} values; its traversal grids show the first ` +
      `${MAX_CATEGORY_ROWS}, one a row`]);
}

/** The fixed parts of a traversal: style noise and categorical codes per sample. */
interface FixedNoise {
  style: Tensor | null;
  categorical: Tensor[];
}

function fixedNoise(model: InfoGAN, samples: number, seed: number): FixedNoise {
  const rng = new Generator(seed);
  const style = model.sampleStyle(samples, rng);
  const categorical = model.categorical.map((k) => randint(k, [samples], rng));
  return { style, categorical };
}

/** One grid per code, named `categorical_<i>` and `continuous_<j>`. */
export function traversalGrids(model: InfoGAN, options: TraversalOptions): Grid[] {
  const grids: Grid[] = [];
  model.categorical.forEach((_, i) => grids.push(categoricalGrid(model, i, options)));
  for (let j = 0; j < model.numContinuous; j++) grids.push(continuousGrid(model, j, options));
  if (grids.length === 0) grids.push(randomGrid(model, options.samples ?? 10, 10, options.seed));
  return grids;
}

/** Rows = categories of code `index` (see categoryRows), columns = fixed noise samples. */
export function categoricalGrid(model: InfoGAN, index: number, options: TraversalOptions): Grid {
  const samples = options.samples ?? 10;
  const rows = categoryRows(model, index);
  return render(model, `categorical_${index}`, rows, samples, () => {
    const fixed = fixedNoise(model, samples, options.seed);
    const continuous = model.numContinuous > 0 ? full([samples, model.numContinuous], 0) : null;
    // Row r: every fixed sample with code `index` set to r.
    return (row) => model.latentFrom(fixed.style, fixed.categorical.map((codes, i) =>
      i === index ? full([samples], row, 'int64') : codes), continuous);
  });
}

/** Rows = fixed noise samples, columns = continuous code `index` swept over the range. */
export function continuousGrid(model: InfoGAN, index: number, options: TraversalOptions): Grid {
  const rows = options.samples ?? 10;
  const steps = options.steps ?? 10;
  const [low, high] = options.range ?? [-2, 2];
  return render(model, `continuous_${index}`, rows, steps, () => {
    const fixed = fixedNoise(model, rows, options.seed);
    const values = Float32Array.from({ length: steps * model.numContinuous }, (_, n) => {
      const step = Math.floor(n / model.numContinuous);
      const code = n % model.numContinuous;
      return code === index ? low + ((high - low) * step) / Math.max(1, steps - 1) : 0;
    });
    const continuous = tensor(values, [steps, model.numContinuous]);
    // Row r: fixed sample r repeated across the sweep.
    return (row) => {
      const order = full([steps], row, 'int64');
      return model.latentFrom(fixed.style ? fixed.style.indexSelect(0, order) : null,
        fixed.categorical.map((codes) => codes.indexSelect(0, order)), continuous);
    };
  });
}

/** `count` random samples from the priors (by default a full grid), on a `rows x columns` grid. */
export function randomGrid(model: InfoGAN, rows: number, columns: number, seed: number,
  count = rows * columns): Grid {
  return render(model, 'samples', rows, columns, () => {
    const codes = model.sampleCodes(count, new Generator(seed));
    // The last row may be short: tiles past `count` stay white.
    return (row) => {
      const length = Math.min(columns, count - row * columns);
      const take = (t: Tensor) => t.narrow(0, row * columns, length);
      return model.latentFrom(codes.style && take(codes.style), codes.categorical.map(take),
        codes.continuous && take(codes.continuous));
    };
  }, count);
}

/**
 * Generates `count` images (by default the whole grid) row by row in evaluation mode, so that
 * memory grows with one row's latents (columns x latent size), not the grid's, and tiles them
 * with 1-pixel gaps. `prepare` draws the fixed noise and returns each row's latents
 * [columns, latentSize].
 */
function render(model: InfoGAN, name: string, rows: number, columns: number,
  prepare: () => (row: number) => Tensor, count = rows * columns): Grid {
  const wasTraining = model.generator.isTraining;
  const { height, width, channels } = model.image;
  model.generator.eval();
  try {
    const imageSize = channels * height * width;
    const images = new Float32Array(count * imageSize);
    tidy(() => noGrad(() => {
      const latentOf = prepare();
      for (let row = 0; row * columns < count; row++) {
        tidy(() => images.set(model.generate(latentOf(row)).toFloat32Array(),
          row * columns * imageSize));
      }
    }));
    return tile(name, images, rows, columns, height, width, channels as 1 | 3);
  } finally {
    model.generator.train(wasTraining);
  }
}

/**
 * Lays out [n, channels, height, width] floats in [0, 1] as one PNG, row by row; tiles past the
 * n images (at most rows * columns) stay white.
 */
export function tile(name: string, images: Float32Array, rows: number, columns: number,
  height: number, width: number, channels: 1 | 3): Grid {
  const gap = 1;
  const gridWidth = columns * (width + gap) + gap;
  const gridHeight = rows * (height + gap) + gap;
  const pixels = new Uint8Array(gridWidth * gridHeight * channels).fill(255);
  const plane = height * width;
  const count = Math.min(rows * columns, images.length / (channels * plane));
  for (let n = 0; n < count; n++) {
    const top = gap + Math.floor(n / columns) * (height + gap);
    const left = gap + (n % columns) * (width + gap);
    const base = n * channels * plane;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const out = ((top + y) * gridWidth + left + x) * channels;
        for (let c = 0; c < channels; c++) {
          const value = images[base + c * plane + y * width + x];
          pixels[out + c] = Math.max(0, Math.min(255, Math.round(value * 255)));
        }
      }
    }
  }
  return { name, png: encodePng(pixels, gridWidth, gridHeight, channels), width: gridWidth,
    height: gridHeight, channels };
}
