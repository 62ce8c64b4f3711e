import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TRAIN_CONFIG } from '../config/train';
import type { ImageDataset } from '../data/types';
import { InfoGAN } from '../model/infogan';
import { Adam, Generator, noGrad, tidy } from '../torch';
import { UserError } from '../util/log';
import { trainStep } from './step';
import { LabeledBatches, chooseLabeled, labeledBatches } from './supervision';

/** 4x4 gray images whose pixels all equal the image's class * 20 + its index mod 7. */
function toyDataset(classOf: number[], classes = 3): ImageDataset {
  const pixels = new Uint8Array(classOf.length * 16);
  classOf.forEach((c, i) => pixels.fill(c * 20 + (i % 7), i * 16, (i + 1) * 16));
  return {
    source: 'toy', count: classOf.length, height: 4, width: 4, channels: 1, pixels,
    labels: { classes: { names: Array.from({ length: classes }, (_, c) => `class${c}`),
      index: Int32Array.from(classOf) } },
  };
}

describe('chooseLabeled', () => {
  const classOf = Int32Array.from({ length: 300 }, (_, i) => (i * 7) % 10);

  it('takes the same number from every class, without repeats, in ascending order', () => {
    const chosen = chooseLabeled(classOf, 10, 100, 5);
    assert.equal(chosen.length, 100);
    assert.equal(new Set(chosen).size, 100);
    assert.deepEqual([...chosen], [...chosen].sort((a, b) => a - b));
    const perClass = new Array(10).fill(0);
    for (const image of chosen) perClass[classOf[image]]++;
    assert.deepEqual(perClass, new Array(10).fill(10));
  });

  it('depends on the seed only', () => {
    assert.deepEqual(chooseLabeled(classOf, 10, 30, 5), chooseLabeled(classOf, 10, 30, 5));
    assert.notDeepEqual(chooseLabeled(classOf, 10, 30, 5), chooseLabeled(classOf, 10, 30, 6));
  });

  it('gives the remainder to classes in turn and fills up from larger classes', () => {
    const chosen = chooseLabeled(classOf, 10, 13, 1);
    const perClass = new Array(10).fill(0);
    for (const image of chosen) perClass[classOf[image]]++;
    assert.deepEqual(perClass, [2, 2, 2, 1, 1, 1, 1, 1, 1, 1]);
    // Class 2 has one image: the rest come from class 0.
    const skewed = Int32Array.from([0, 0, 0, 0, 1, 1, 2]);
    const taken = chooseLabeled(skewed, 3, 6, 1);
    assert.deepEqual([...taken].map((i) => skewed[i]).sort(), [0, 0, 0, 1, 1, 2]);
  });
});

describe('LabeledBatches', () => {
  it('serves every labelled image once per pass, with its class, the same on a second run', () => {
    const classOf = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0];
    const dataset = toyDataset(classOf);
    const images = Int32Array.from([1, 2, 4, 6, 9]);
    const seen = (batches: LabeledBatches, steps: number) => {
      const out: number[][] = [];
      for (let step = 0; step < steps; step++) {
        tidy(() => {
          const { images: x, classes } = batches.batch(step);
          assert.deepEqual(x.shape, [2, 1, 4, 4]);
          const pixels = x.toFloat32Array();
          const labels = classes.toArray();
          for (let k = 0; k < 2; k++) {
            const value = Math.round(pixels[k * 16] * 255);
            const image = images.find((i) => classOf[i] * 20 + (i % 7) === value)!;
            assert.equal(labels[k], classOf[image]);
            out.push([step, image]);
          }
        });
      }
      return out;
    };
    const first = seen(new LabeledBatches(dataset, images, Int32Array.from(classOf), 2, 3), 5);
    // 5 steps of 2 = two passes over the 5 images.
    assert.deepEqual(first.slice(0, 5).map(([, i]) => i).sort(), [1, 2, 4, 6, 9]);
    assert.deepEqual(first.slice(5).map(([, i]) => i).sort(), [1, 2, 4, 6, 9]);
    // Step 3 alone, as after a resume, draws what step 3 drew in the full run.
    const again = new LabeledBatches(dataset, images, Int32Array.from(classOf), 2, 3);
    const resumed = tidy(() => Array.from(again.batch(3).images.toFloat32Array()));
    const full = new LabeledBatches(dataset, images, Int32Array.from(classOf), 2, 3);
    for (let step = 0; step < 3; step++) tidy(() => full.batch(step));
    assert.deepEqual(resumed, tidy(() => Array.from(full.batch(3).images.toFloat32Array())));
  });
});

describe('labeledBatches', () => {
  const options = { labeled: 6, cardinality: [3], lambda: 1, batchSize: 4, seed: 1 };

  it('describes the labelled subset', () => {
    const { batches, description } = labeledBatches(toyDataset([0, 1, 2, 0, 1, 2, 0, 1]), options);
    assert.equal(batches.size, 4);
    assert.equal(description, 'semi-supervised: labels of 6 images (2 per class) tie categorical ' +
      'code 0 to the 3 classes, 4 of them per step, weight 1');
  });

  it('refuses data without classes, too few code values, and more labels than images', () => {
    const unlabelled = { ...toyDataset([0, 1, 2]), labels: undefined };
    assert.throws(() => labeledBatches(unlabelled, options),
      (e) => e instanceof UserError && /--labeled 6 needs class labels, and toy has none/.test(e.message));
    assert.throws(() => labeledBatches(toyDataset([0, 1, 2, 3], 4),
      { ...options, cardinality: [3, 5] }),
    /the data has 4 classes but the first categorical code has 3 values; use --categorical_cardinality 4 5$/);
    assert.throws(() => labeledBatches(toyDataset([0, 1, 2]), options),
      /--labeled 6 is more than the 3 images with a class in toy/);
    assert.throws(() => labeledBatches(toyDataset([0, 0, 0, 0, 0, 0, 0], 1), options),
      /--labeled 6 needs 2 or more classes, and toy has 1/);
  });

  it('uses only images with a class, and says when some classes get none', () => {
    const partly = toyDataset([0, -1, 1, -1, 2, -1, 0, 1]);
    const { description } = labeledBatches(partly, { ...options, labeled: 5 });
    assert.match(description, /labels of 5 images \(1-2 per class\)/);
    assert.throws(() => labeledBatches(partly, { ...options, labeled: 6 }),
      /--labeled 6 is more than the 5 images with a class in toy/);
    const chosen = chooseLabeled(partly.labels!.classes!.index, 3, 5, 1);
    assert.ok([...chosen].every((i) => partly.labels!.classes!.index[i] >= 0));
    const few = labeledBatches(toyDataset([0, 1, 2, 0, 1, 2]), { ...options, labeled: 2 });
    assert.match(few.description, /labels of 2 images \(0-1 per class, 1 class with none\)/);
    assert.equal(few.warning, '--labeled 2: 1 class has no labelled image (class2), so no code value ' +
      'is tied to it; --labeled 3 or more labels every class that has images');
    assert.equal(labeledBatches(partly, { ...options, labeled: 5 }).warning, undefined);
  });
});

describe('a supervised step', () => {
  for (const invarianceLambda of [0, 1]) {
    it(`teaches Q the classes of the labelled images (--invariance_lambda ${invarianceLambda})`,
      () => teachesClasses(invarianceLambda));
  }
});

/** Trains 30 supervised steps on images whose class is a bright band; Q then names them all. */
function teachesClasses(invarianceLambda: number): void {
  const config = { ...DEFAULT_TRAIN_CONFIG, categoricalCardinality: [3], numContinuous: 0,
    styleSize: 4, generator: DEFAULT_TRAIN_CONFIG.generator };
  const classOf = Array.from({ length: 48 }, (_, i) => i % 3);
  // 28x28 images: class c is a bright band in row block c.
  const pixels = new Uint8Array(48 * 784);
  classOf.forEach((c, i) => {
    for (let y = c * 9; y < c * 9 + 9; y++) pixels.fill(255, i * 784 + y * 28, i * 784 + y * 28 + 28);
  });
  const dataset: ImageDataset = { source: 'bands', count: 48, height: 28, width: 28, channels: 1,
    pixels, labels: { classes: { names: ['top', 'middle', 'bottom'], index: Int32Array.from(classOf) } } };
  const model = new InfoGAN(config, { height: 28, width: 28, channels: 1 }, new Generator(4));
  const context = {
    model, rng: new Generator(5), lambdas: { categorical: 1, continuous: 1 }, supervisedLambda: 1,
    invarianceLambda,
    generatorOptimizer: new Adam(model.generatorParameters(), { lr: 1e-3, betas: [0.5, 0.999] }),
    discriminatorOptimizer: new Adam(model.discriminatorParameters(), { lr: 2e-4, betas: [0.5, 0.999] }),
  };
  const { batches } = labeledBatches(dataset, { labeled: 12, cardinality: [3], lambda: 1, batchSize: 12,
    seed: 2 });
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    losses.push(tidy(() => {
      const real = batches.batch(step + 1000).images;
      return trainStep(context, real, batches.batch(step)).supervised!;
    }));
  }
  assert.ok(losses[0] > 0.5, `first supervised loss ${losses[0]}`);
  assert.ok(losses[29] < losses[0] / 4, `supervised loss went ${losses[0]} -> ${losses[29]}`);
  // Q now names the class of every image, not only the labelled ones.
  model.train(false);
  const predicted = tidy(() => noGrad(() => {
    const all = new LabeledBatches(dataset, Int32Array.from({ length: 48 }, (_, i) => i),
      Int32Array.from(classOf), 48, 9).batch(0);
    const logits = model.predictCodes(model.features(all.images)).categoricalLogits[0];
    const truth = all.classes.toArray();
    const guess = logits.argmax(1).toArray();
    return truth.filter((t, i) => t === guess[i]).length;
  }));
  assert.equal(predicted, 48);
  model.dispose();
}
