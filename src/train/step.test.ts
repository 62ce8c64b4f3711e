import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TRAIN_CONFIG } from '../config/train';
import { InfoGAN } from '../model/infogan';
import { Adam, Generator, rand, randint, tensor } from '../torch';
import { negativeInformation, trainStep, type StepLosses } from './step';

/** Body parameters after one step from a fixed start, with D's step only (G's rate is 0). */
function bodyAfterStep(infoTrainsBody: boolean, lambda: number): string[] {
  const model = new InfoGAN(DEFAULT_TRAIN_CONFIG, { height: 28, width: 28, channels: 1 },
    new Generator(21));
  const context = {
    model, rng: new Generator(22), infoTrainsBody,
    lambdas: { categorical: lambda, continuous: lambda },
    generatorOptimizer: new Adam(model.generatorParameters(), { lr: 0, betas: [0.5, 0.999] }),
    discriminatorOptimizer: new Adam(model.discriminatorParameters(), { lr: 1e-3, betas: [0.5, 0.999] }),
  };
  const real = rand([8, 1, 28, 28], new Generator(23));
  trainStep(context, real);
  const body = model.discriminatorBody.parameters().map((p) => Buffer.from(p.toBytes()).toString('base64'));
  real.dispose();
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

describe('--real_info_lambda', () => {
  /** Q head parameters after one generator step (D's rate is 0) with the term weighted so. */
  function qHeadAfterStep(lambda: number): string[] {
    const model = new InfoGAN(DEFAULT_TRAIN_CONFIG, { height: 28, width: 28, channels: 1 },
      new Generator(31));
    const context = {
      model, rng: new Generator(32), realInformationLambda: lambda,
      lambdas: { categorical: 1, continuous: 1 },
      generatorOptimizer: new Adam(model.generatorParameters(), { lr: 1e-3, betas: [0.5, 0.999] }),
      discriminatorOptimizer: new Adam(model.discriminatorParameters(), { lr: 0, betas: [0.5, 0.999] }),
    };
    const real = rand([8, 1, 28, 28], new Generator(33));
    const losses = trainStep(context, real);
    const head = model.qHead!.parameters().map((p) => Buffer.from(p.toBytes()).toString('base64'));
    real.dispose();
    model.dispose();
    assert.equal(losses.realInformation === undefined, lambda === 0);
    return head;
  }

  it('moves the Q head when weighted, and is not computed at weight 0', () => {
    assert.notDeepEqual(qHeadAfterStep(1), qHeadAfterStep(0));
  });
});

describe('--invariance_lambda', () => {
  /** Generator and Q head parameters after one generator step (D's rate is 0). */
  function afterStep(lambda: number): { generator: string[]; losses: StepLosses } {
    const model = new InfoGAN(DEFAULT_TRAIN_CONFIG, { height: 28, width: 28, channels: 1 },
      new Generator(41));
    const context = {
      model, rng: new Generator(42), invarianceLambda: lambda,
      lambdas: { categorical: 1, continuous: 1 },
      generatorOptimizer: new Adam(model.generatorParameters(), { lr: 1e-3, betas: [0.5, 0.999] }),
      discriminatorOptimizer: new Adam(model.discriminatorParameters(), { lr: 0, betas: [0.5, 0.999] }),
    };
    const real = rand([8, 1, 28, 28], new Generator(43));
    const losses = trainStep(context, real);
    const generator = model.generatorParameters()
      .map((p) => Buffer.from(p.toBytes()).toString('base64'));
    real.dispose();
    model.dispose();
    return { generator, losses };
  }

  it('reads the labelled images through the jitter too when weighted', () => {
    const supervisedLoss = (lambda: number) => {
      const model = new InfoGAN(DEFAULT_TRAIN_CONFIG, { height: 28, width: 28, channels: 1 },
        new Generator(51));
      const context = {
        model, rng: new Generator(52), invarianceLambda: lambda, supervisedLambda: 1,
        lambdas: { categorical: 1, continuous: 1 },
        generatorOptimizer: new Adam(model.generatorParameters(), { lr: 1e-3, betas: [0.5, 0.999] }),
        discriminatorOptimizer: new Adam(model.discriminatorParameters(), { lr: 0, betas: [0.5, 0.999] }),
      };
      const real = rand([8, 1, 28, 28], new Generator(53));
      const labeled = { images: rand([6, 1, 28, 28], new Generator(54)),
        classes: randint(10, [6], new Generator(55)) };
      const loss = trainStep(context, real, labeled).supervised!;
      for (const t of [real, labeled.images, labeled.classes]) t.dispose();
      model.dispose();
      return loss;
    };
    // Same weights, same images: only the jitter can change what Q sees.
    assert.notEqual(supervisedLoss(1), supervisedLoss(0));
  });

  it('trains G and Q on jittered images when weighted, and is not computed at weight 0', () => {
    const on = afterStep(1);
    const off = afterStep(0);
    assert.equal(off.losses.invariance, undefined);
    // An untrained Q is near uniform over the 10 values: cross-entropy close to log 10.
    assert.ok(Math.abs(on.losses.invariance! - Math.log(10)) < 0.5, String(on.losses.invariance));
    assert.notDeepEqual(on.generator, off.generator);
  });
});
