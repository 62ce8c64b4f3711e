import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TRAIN_CONFIG } from '../config/train';
import { InfoGAN } from '../model/infogan';
import { Adam, Generator, rand } from '../torch';
import { trainStep } from './step';

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
