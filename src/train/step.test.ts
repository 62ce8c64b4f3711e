import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TRAIN_CONFIG } from '../config/train';
import { InfoGAN } from '../model/infogan';
import { Adam, Generator, Tensor, rand, randint, tensor } from '../torch';
import { negativeInformation, trainStep, type StepContext } from './step';

/**
 * Body parameters after one step from a fixed start, with D's step only (G's rate is 0); with
 * `supervisedLambda`, six random labelled images join the step at that weight.
 */
function bodyAfterStep(infoTrainsBody: boolean, lambda: number, supervisedLambda?: number):
  string[] {
  const model = new InfoGAN(DEFAULT_TRAIN_CONFIG, { height: 28, width: 28, channels: 1 },
    new Generator(21));
  const context = {
    model, rng: new Generator(22), infoTrainsBody, supervisedLambda,
    lambdas: { categorical: lambda, continuous: lambda },
    generatorOptimizer: new Adam(model.generatorParameters(), { lr: 0, betas: [0.5, 0.999] }),
    discriminatorOptimizer: new Adam(model.discriminatorParameters(), { lr: 1e-3, betas: [0.5, 0.999] }),
  };
  const real = rand([8, 1, 28, 28], new Generator(23));
  const labeled = supervisedLambda === undefined ? undefined : {
    images: rand([6, 1, 28, 28], new Generator(24)), classes: randint(10, [6], new Generator(25)) };
  trainStep(context, real, labeled);
  const body = model.discriminatorBody.parameters().map((p) => Buffer.from(p.toBytes()).toString('base64'));
  for (const t of [real, labeled?.images, labeled?.classes]) t?.dispose();
  model.dispose();
  return body;
}

describe('--info_trains_body', () => {
  it('lets the information term move the shared body in the discriminator step', () => {
    assert.notDeepEqual(bodyAfterStep(true, 1), bodyAfterStep(false, 1));
  });

  it('changes nothing when the information term has no weight', () => {
    assert.deepEqual(bodyAfterStep(true, 0), bodyAfterStep(false, 0));
  });
});

describe('--labeled', () => {
  it('teaches the shared body the classes in the discriminator step, at its weight', () => {
    assert.notDeepEqual(bodyAfterStep(false, 1, 1), bodyAfterStep(false, 1));
    assert.deepEqual(bodyAfterStep(false, 1, 0), bodyAfterStep(false, 1));
  });
});

describe('negativeInformation (--real_info_lambda)', () => {
  const value = (rows: number[][]) => {
    const logits = tensor(rows.flat(), [rows.length, rows[0].length]);
    const result = negativeInformation(logits).item();
    logits.dispose();
    return result;
  };
  const sure = 50; // a logit margin that makes softmax one-hot to float precision

  it('is -log K when each image is sure and every value is used equally', () => {
    const rows = [[sure, 0, 0], [0, sure, 0], [0, 0, sure]];
    assert.ok(Math.abs(value(rows) + Math.log(3)) < 1e-5);
  });

  it('is 0 when every image gets the same sure value, or Q is unsure of all of them', () => {
    assert.ok(Math.abs(value([[sure, 0], [sure, 0], [sure, 0]])) < 1e-5);
    assert.ok(Math.abs(value([[1, 1, 1, 1], [2, 2, 2, 2]])) < 1e-5);
  });

  it('matches the entropies computed by hand for soft predictions', () => {
    // Rows [0.8, 0.2] and [0.2, 0.8]: each row's entropy H(0.8), the mean's entropy log 2.
    const logit = Math.log(4);
    const h = -(0.8 * Math.log(0.8) + 0.2 * Math.log(0.2));
    assert.ok(Math.abs(value([[logit, 0], [0, logit]]) - (h - Math.log(2))) < 1e-5);
  });
});

/**
 * One generator step (D's rate is 0) of a default model from seed `seed`, with `context` added to
 * the step's settings and, when `labels` > 0, that many random labelled images. Returns the losses
 * and the generator's and Q head's parameters after it, as base64.
 */
function generatorStep(seed: number, context: Partial<StepContext>, labels = 0) {
  const model = new InfoGAN(DEFAULT_TRAIN_CONFIG, { height: 28, width: 28, channels: 1 },
    new Generator(seed));
  const real = rand([8, 1, 28, 28], new Generator(seed + 1));
  const labeled = labels > 0 ? { images: rand([labels, 1, 28, 28], new Generator(seed + 2)),
    classes: randint(10, [labels], new Generator(seed + 3)) } : undefined;
  const losses = trainStep({
    model, rng: new Generator(seed + 4), lambdas: { categorical: 1, continuous: 1 },
    generatorOptimizer: new Adam(model.generatorParameters(), { lr: 1e-3, betas: [0.5, 0.999] }),
    discriminatorOptimizer: new Adam(model.discriminatorParameters(), { lr: 0, betas: [0.5, 0.999] }),
    ...context,
  }, real, labeled);
  const bytes = (params: Tensor[]) => params.map((p) => Buffer.from(p.toBytes()).toString('base64'));
  const after = { losses, generator: bytes(model.generatorParameters()),
    qHead: bytes(model.qHead!.parameters()) };
  for (const t of [real, labeled?.images, labeled?.classes]) t?.dispose();
  model.dispose();
  return after;
}

describe('--real_info_lambda', () => {
  it('moves the Q head when weighted, and is not computed at weight 0', () => {
    const on = generatorStep(31, { realInformationLambda: 1 });
    const off = generatorStep(31, { realInformationLambda: 0 });
    assert.notEqual(on.losses.realInformation, undefined);
    assert.equal(off.losses.realInformation, undefined);
    assert.notDeepEqual(on.qHead, off.qHead);
  });
});

describe('--invariance_lambda', () => {
  it('trains G and Q on jittered images when weighted, and is not computed at weight 0', () => {
    const on = generatorStep(41, { invarianceLambda: 1 });
    const off = generatorStep(41, { invarianceLambda: 0 });
    assert.equal(off.losses.invariance, undefined);
    // An untrained Q is near uniform over the 10 values: cross-entropy close to log 10.
    assert.ok(Math.abs(on.losses.invariance! - Math.log(10)) < 0.5, String(on.losses.invariance));
    assert.notDeepEqual(on.generator, off.generator);
  });

  it('reads the labelled images through the jitter too when weighted', () => {
    const supervised = (invarianceLambda: number) =>
      generatorStep(51, { invarianceLambda, supervisedLambda: 1 }, 6).losses.supervised;
    // Same weights, same images: only the jitter can change what Q sees.
    assert.notEqual(supervised(1), supervised(0));
  });
});
