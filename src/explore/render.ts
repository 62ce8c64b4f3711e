/**
 * Drawing the explorer's pictures with a trained generator on the server: one sample for the
 * current codes, or a grid sweeping one code. The style noise of seed S is always the first
 * `styleSize` draws of a fresh Generator(S), so a seed names the same face or digit on every
 * request, every reload and every machine with the same engine.
 */
import { Generator, Tensor, cat, noGrad, tensor, tidy } from '../torch';
import type { InfoGAN } from '../model/infogan';
import { tile } from '../train/grids';
import { encodePng } from '../util/png';
import { MAX_SEED, sweepValues, type CodeState, type SweepRequest } from './codes';

/** A rendered picture and how long the generator and PNG encoding took. */
export interface Rendered {
  png: Buffer;
  milliseconds: number;
}

export class Renderer {
  constructor(private readonly model: InfoGAN) {
    model.train(false);
  }

  /** The picture of one code state, at the image's own size. */
  sample(state: CodeState): Rendered {
    const started = performance.now();
    const { height, width, channels } = this.model.image;
    const images = this.generate([state]);
    const png = encodePng(toPixels(images, height, width, channels), width, height,
      channels as 1 | 3);
    return { png, milliseconds: performance.now() - started };
  }

  /**
   * Rows = seeds `seed`, `seed + 1`, ... (row 0 is the current picture's noise); columns = the
   * swept code's values, every other code as in `request`. Tiled with 1-pixel white gaps.
   */
  sweep(request: SweepRequest): Rendered {
    const started = performance.now();
    const layout = { categorical: this.model.categorical, numContinuous: this.model.numContinuous };
    const values = sweepValues(request.code, layout, request.steps);
    const states: CodeState[] = [];
    for (let row = 0; row < request.rows; row++) {
      const seed = (request.seed + row) % (MAX_SEED + 1);
      for (const value of values) states.push(withCode(request, seed, value));
    }
    const { height, width, channels } = this.model.image;
    const images = this.generate(states);
    const grid = tile('sweep', images, request.rows, values.length, height, width,
      channels as 1 | 3);
    return { png: grid.png, milliseconds: performance.now() - started };
  }

  /** [states, channels, height, width] floats in [0, 1]. */
  private generate(states: CodeState[]): Float32Array {
    return noGrad(() => tidy(() => {
      const latent = this.model.latentFrom(this.styleNoise(states), this.categorical(states),
        this.continuous(states));
      return this.model.generate(latent).toFloat32Array();
    }));
  }

  /** [states, styleSize]: each row drawn from its own seed. */
  private styleNoise(states: CodeState[]): Tensor | null {
    if (this.model.config.styleSize === 0) return null;
    const rows = new Map<number, Tensor>();
    for (const { seed } of states) {
      if (!rows.has(seed)) rows.set(seed, this.model.sampleStyle(1, new Generator(seed))!);
    }
    return cat(states.map(({ seed }) => rows.get(seed)!), 0);
  }

  /** One [states] int64 tensor per categorical code. */
  private categorical(states: CodeState[]): Tensor[] {
    return this.model.categorical.map((_, i) =>
      tensor(BigInt64Array.from(states, (s) => BigInt(s.categorical[i])), [states.length]));
  }

  /** [states, numContinuous], or null when the run has none. */
  private continuous(states: CodeState[]): Tensor | null {
    const count = this.model.numContinuous;
    if (count === 0) return null;
    return tensor(Float32Array.from(states.flatMap((s) => s.continuous)), [states.length, count]);
  }
}

/** The request's codes with the swept one set to `value`, on the noise of `seed`. */
function withCode(request: SweepRequest, seed: number, value: number): CodeState {
  const categorical = [...request.categorical];
  const continuous = [...request.continuous];
  if (request.code.kind === 'categorical') categorical[request.code.index] = value;
  else continuous[request.code.index] = value;
  return { seed, categorical, continuous };
}

/** The first image of [n, channels, height, width] floats as [height, width, channels] bytes. */
function toPixels(images: Float32Array, height: number, width: number, channels: number):
  Uint8Array {
  const plane = height * width;
  const pixels = new Uint8Array(plane * channels);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) {
      const value = images[c * plane + p];
      pixels[p * channels + c] = Math.max(0, Math.min(255, Math.round(value * 255)));
    }
  }
  return pixels;
}
