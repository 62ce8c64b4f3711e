/**
 * Neural-network functions on tensors: layers, activations and losses, as in `torch.nn.functional`.
 * Images are [batch, channels, height, width].
 */
import { native, type Reduction } from './native';
import { Tensor, tidy } from './tensor';

/** x @ weight^T + bias: [batch, in] -> [batch, out]; weight is [out, in]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return new Tensor(native().linear(x.handle, weight.handle, bias?.handle ?? null));
}

export interface ConvOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
}

/** 2-D convolution; weight is [outChannels, inChannels, kernelH, kernelW]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}):
  Tensor {
  return new Tensor(native().conv2d(x.handle, weight.handle, bias?.handle ?? null,
    pair(options.stride ?? 1), pair(options.padding ?? 0)));
}

/**
 * Transposed 2-D convolution; weight is [inChannels, outChannels, kernelH, kernelW].
 * Output size = (in - 1) * stride - 2 * padding + kernel + outputPadding.
 */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: ConvOptions & { outputPadding?: number | [number, number] } = {},
): Tensor {
  return new Tensor(native().convTranspose2d(x.handle, weight.handle, bias?.handle ?? null,
    pair(options.stride ?? 1), pair(options.padding ?? 0), pair(options.outputPadding ?? 0)));
}

/** Zero (or `value`) padding of the last two dimensions: [left, right, top, bottom]. */
export function pad2d(x: Tensor, padding: [number, number, number, number], value = 0): Tensor {
  return new Tensor(native().constantPad(x.handle, padding, value));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  /** Batch statistics (and running-statistic updates) when true; running statistics when false. */
  training: boolean;
  momentum?: number;
  eps?: number;
}

/** Batch normalisation over dimension 1 ([batch, features] or [batch, channels, h, w]). */
export function batchNorm(x: Tensor, options: BatchNormOptions): Tensor {
  return new Tensor(native().batchNorm(x.handle, options.weight?.handle ?? null,
    options.bias?.handle ?? null, options.runningMean?.handle ?? null,
    options.runningVar?.handle ?? null, options.training, options.momentum ?? 0.1,
    options.eps ?? 1e-5));
}

/** Binary cross-entropy on logits (numerically stable), targets in [0, 1]. */
export function bceWithLogits(logits: Tensor, target: Tensor, reduction: Reduction = 'mean'):
  Tensor {
  return new Tensor(native().bceWithLogits(logits.handle, target.handle, reduction));
}

/** Cross-entropy of logits [batch, classes] against int64 class indices [batch]. */
export function crossEntropy(logits: Tensor, target: Tensor, reduction: Reduction = 'mean'):
  Tensor {
  return new Tensor(native().crossEntropy(logits.handle, target.handle, reduction));
}

/**
 * Log-likelihood of `x` under N(mean, exp(logStd)^2), elementwise:
 * -0.5 log(2 pi) - logStd - (x - mean)^2 / (2 exp(2 logStd)). With no logStd, std is 1.
 */
export function gaussianLogLikelihood(x: Tensor, mean: Tensor, logStd?: Tensor | null): Tensor {
  const halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
  // tidy frees every intermediate (neg, exp, the scaled square), not only the named ones.
  return tidy(() => {
    const diff = x.sub(mean);
    if (!logStd) return diff.square().mul(-0.5).sub(halfLog2Pi);
    const scaled = diff.mul(logStd.neg().exp());
    return scaled.square().mul(-0.5).sub(logStd).sub(halfLog2Pi);
  });
}

function pair(value: number | [number, number]): number[] {
  return typeof value === 'number' ? [value, value] : [...value];
}
