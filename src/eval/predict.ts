/**
 * Running the Q head over real images: what each code says about each image. Used by
 * `infogan evaluate` and, once per epoch, by the trainer (categoricalAccuracy).
 */
import { batchToFloat } from '../data/batch';
import type { ImageDataset } from '../data/types';
import type { InfoGAN } from '../model/infogan';
import { noGrad, tensor, tidy } from '../torch';
import type { Progress } from '../util/log';
import { confusionMatrix, matchedAccuracy } from './metrics';

/** Q's reading of a set of images, per code, aligned with the image indices it was given. */
export interface CodeOutputs {
  count: number;
  /** Per categorical code: [count, K] softmax probabilities, row-major. */
  probabilities: Float32Array[];
  /** Per categorical code: the most likely category of each image (argmax of the logits). */
  categories: Int32Array[];
  /** Per continuous code: Q's predicted mean for each image. */
  means: Float32Array[];
}

/** Default batch of images pushed through Q at once. */
export const EVALUATION_BATCH = 256;

/**
 * Runs the discriminator body and Q head over the images at `indices`, in evaluation mode (batch
 * norm on its running statistics), without gradients, one batch at a time inside a tidy scope.
 * The model's training mode is restored afterwards; nothing in the model changes.
 */
export function predictCodes(model: InfoGAN, dataset: ImageDataset, indices: Int32Array,
  batchSize = EVALUATION_BATCH, progress?: Progress): CodeOutputs {
  const count = indices.length;
  const outputs: CodeOutputs = {
    count,
    probabilities: model.categorical.map((k) => new Float32Array(count * k)),
    categories: model.categorical.map(() => new Int32Array(count)),
    means: Array.from({ length: model.numContinuous }, () => new Float32Array(count)),
  };
  const wasTraining = model.discriminatorBody.isTraining;
  const { channels, height, width } = dataset;
  const floats = new Float32Array(Math.min(batchSize, count) * channels * height * width);
  model.train(false);
  try {
    for (let start = 0; start < count; start += batchSize) {
      const batch = indices.subarray(start, Math.min(count, start + batchSize));
      const pixels = batchToFloat(dataset, batch, floats);
      const read = tidy(() => noGrad(() => {
        // [batch, channels, height, width] -> per-code predictions.
        const images = tensor(pixels, [batch.length, channels, height, width]);
        const prediction = model.predictCodes(model.features(images));
        return {
          probabilities: prediction.categoricalLogits.map((l) => l.softmax(1).toFloat32Array()),
          means: prediction.continuousMean?.toFloat32Array() ?? null,
        };
      }));
      store(outputs, model, start, batch.length, read);
      progress?.update(start + batch.length);
    }
  } finally {
    model.train(wasTraining);
  }
  return outputs;
}

/** Copies one batch's predictions into `outputs` at image offset `start`. */
function store(outputs: CodeOutputs, model: InfoGAN, start: number, size: number,
  read: { probabilities: Float32Array[]; means: Float32Array | null }): void {
  read.probabilities.forEach((probabilities, code) => {
    const k = model.categorical[code];
    outputs.probabilities[code].set(probabilities, start * k);
    for (let i = 0; i < size; i++) {
      outputs.categories[code][start + i] = argmax(probabilities, i * k, k);
    }
  });
  const n = model.numContinuous;
  for (let j = 0; j < n && read.means; j++) {
    for (let i = 0; i < size; i++) outputs.means[j][start + i] = read.means[i * n + j];
  }
}

function argmax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}

/** `count` image indices spread evenly over the dataset (all of them when count >= its size). */
export function evenlySpaced(total: number, count: number): Int32Array {
  const n = Math.min(total, count);
  return Int32Array.from({ length: n }, (_, i) => Math.floor((i * total) / n));
}

/** Default images read by categoricalAccuracy: enough for a stable figure, a second or two. */
export const ACCURACY_IMAGES = 5000;

/**
 * The accuracy of the categorical code that best predicts the dataset's classes (MNIST digit,
 * identity), after matching each category to one class (Hungarian), on up to `maxImages` images
 * spread evenly over the set. null when the set has no classes or the model no categorical code.
 */
export function categoricalAccuracy(model: InfoGAN, dataset: ImageDataset,
  maxImages = ACCURACY_IMAGES): number | null {
  const classes = dataset.labels?.classes;
  if (!classes || model.categorical.length === 0 || dataset.count === 0) return null;
  const indices = evenlySpaced(dataset.count, maxImages);
  const outputs = predictCodes(model, dataset, indices);
  const truth = indices.map((i) => classes.index[i]);
  const accuracies = outputs.categories.map((categories, code) => matchedAccuracy(
    confusionMatrix(truth, categories, classes.names.length, model.categorical[code])).accuracy);
  return Math.max(...accuracies);
}
