import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_TRAIN_CONFIG } from '../config/train';
import { Adam, F, Generator, Tensor, full, memory, noGrad, rand, tidy } from '../torch';
import { InfoGAN, informationLoss, type ModelConfig } from './infogan';
import { parseSpec } from './spec';

const MNIST: ModelConfig = { ...DEFAULT_TRAIN_CONFIG };
const MNIST_IMAGE = { height: 28, width: 28, channels: 1 as const };

const FACES_GENERATOR = 'fc:1024,fc:8x8x256,reshape:8:8:256,deconv:4:1:256,deconv:4:2:256,' +
  'deconv:4:2:128,deconv:4:2:64,deconv:4:1:1:sigmoid';
const FACES_DISCRIMINATOR = 'conv:4:2:64:relu,conv:4:2:128:relu,conv:4:2:256:relu,' +
  'conv:4:1:256:relu,conv:4:1:256:relu,fc:1024:relu';
const FACES: ModelConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  categoricalCardinality: [20, 20, 20],
  numContinuous: 1,
  styleSize: 128,
  generator: parseSpec(FACES_GENERATOR, 'generator'),
  discriminator: parseSpec(FACES_DISCRIMINATOR, 'discriminator'),
};
const FACES_IMAGE = { height: 64, width: 64, channels: 1 as const };

function shapesOf(model: InfoGAN, batch: number) {
  return tidy(() => noGrad(() => {
    const codes = model.sampleLatent(batch, new Generator(1));
    const images = model.generate(codes.latent);
    const features = model.features(images);
    const logits = model.realFakeLogits(features);
    const q = model.predictCodes(features);
    return {
      latent: codes.latent.shape,
      images: images.shape,
      features: features.shape,
      logits: logits.shape,
      categorical: q.categoricalLogits.map((t) => t.shape),
      continuous: q.continuousMean?.shape,
      logStd: q.continuousLogStd?.shape ?? null,
    };
  }));
}

describe('InfoGAN networks', () => {
  it('builds the paper MNIST networks with the expected shapes', () => {
    const model = new InfoGAN(MNIST, MNIST_IMAGE, new Generator(1));
    assert.equal(model.latentSize, 62 + 10 + 2);
    assert.deepEqual(shapesOf(model, 4), {
      latent: [4, 74], images: [4, 1, 28, 28], features: [4, 1024], logits: [4, 1],
      categorical: [[4, 10]], continuous: [4, 2], logStd: null,
    });
    model.dispose();
  });

  it('builds the 64x64 seven-layer networks with the expected shapes', () => {
    const model = new InfoGAN(FACES, FACES_IMAGE, new Generator(1));
    assert.equal(model.latentSize, 128 + 60 + 1);
    assert.deepEqual(shapesOf(model, 2), {
      latent: [2, 189], images: [2, 1, 64, 64], features: [2, 1024], logits: [2, 1],
      categorical: [[2, 20], [2, 20], [2, 20]], continuous: [2, 1], logStd: null,
    });
    assert.ok(model.summary.some((l) => l.includes('[8, 8, 256] -> [8, 8, 256]')), model.summary.join('\n'));
    model.dispose();
  });

  it('adds a log-std output per continuous code when the std is learned', () => {
    const model = new InfoGAN({ ...MNIST, fixStd: false }, MNIST_IMAGE, new Generator(1));
    assert.equal(model.qOutputs, 10 + 2 * 2);
    assert.deepEqual(shapesOf(model, 3).logStd, [3, 2]);
    model.dispose();
  });

  it('has no Q head and no codes as a plain GAN', () => {
    const model = new InfoGAN({ ...MNIST, infogan: false }, MNIST_IMAGE, new Generator(1));
    assert.equal(model.qHead, null);
    assert.equal(model.latentSize, 62);
    model.dispose();
  });

  it('refuses a generator whose output is not the data shape, naming both', () => {
    assert.throws(() => new InfoGAN(MNIST, { height: 64, width: 64, channels: 1 }),
      /generator makes \[28, 28, 1\] images but the data is \[64, 64, 1\]/);
  });

  it('puts batch norm on every layer but the generator\'s last and the discriminator\'s first, ' +
    'and per-layer overrides win', () => {
    const model = new InfoGAN(MNIST, MNIST_IMAGE);
    const linesOf = (m: InfoGAN, prefix: string) => m.summary.filter((l) => l.startsWith(prefix))
      .map((l) => l.includes('batch norm'));
    assert.deepEqual(linesOf(model, '--generator'), [true, true, false, true, false]);
    assert.deepEqual(linesOf(model, '--discriminator'), [false, true, true]);
    model.dispose();
    const custom = new InfoGAN({ ...MNIST, discriminator: parseSpec(
      'conv:4:2:64:lrelu:bn,conv:4:2:128:lrelu:nobn,fc:1024:lrelu', 'discriminator') }, MNIST_IMAGE);
    assert.deepEqual(linesOf(custom, '--discriminator'), [true, false, true]);
    custom.dispose();
  });
});

describe('latent priors', () => {
  it('draws style noise with --style_std as its standard deviation, the codes unchanged', () => {
    tidy(() => {
      const stats = (styleStd: number) => {
        const model = new InfoGAN({ ...MNIST, styleStd }, MNIST_IMAGE, new Generator(1));
        const codes = model.sampleLatent(2000, new Generator(2));
        const style = codes.latent.narrow(1, 0, 62).toArray();
        const rest = codes.latent.narrow(1, 62, 12).toArray();
        model.dispose();
        const mean = style.reduce((a, b) => a + b, 0) / style.length;
        const variance = style.reduce((a, b) => a + (b - mean) ** 2, 0) / style.length;
        return { std: Math.sqrt(variance), mean, rest };
      };
      const standard = stats(1);
      const narrow = stats(0.1);
      assert.ok(Math.abs(standard.std - 1) < 0.01, `std ${standard.std}`);
      assert.ok(Math.abs(narrow.std - 0.1) < 0.001, `std ${narrow.std}`);
      assert.ok(Math.abs(narrow.mean) < 0.001, `mean ${narrow.mean}`);
      assert.deepEqual(narrow.rest, standard.rest);
    });
  });
});

describe('information loss', () => {
  it('is lambda_cat * categorical + lambda_cont * continuous, each from its definition', () => {
    tidy(() => {
      const model = new InfoGAN(MNIST, MNIST_IMAGE, new Generator(3));
      const codes = model.sampleLatent(8, new Generator(4));
      const prediction = model.predictCodes(model.features(model.generate(codes.latent)));
      const loss = informationLoss(prediction, codes, { categorical: 2, continuous: 0.5 });
      const categorical = F.crossEntropy(prediction.categoricalLogits[0], codes.categorical[0]).item();
      // Gaussian NLL with std 1: 0.5 log(2 pi) + (c - mean)^2 / 2, summed over codes, batch mean.
      const c = codes.continuous!.toArray();
      const m = prediction.continuousMean!.toArray();
      let continuous = 0;
      for (let i = 0; i < c.length; i++) continuous += 0.5 * Math.log(2 * Math.PI) + (c[i] - m[i]) ** 2 / 2;
      continuous /= 8;
      assert.ok(Math.abs(loss.categorical!.item() - categorical) < 1e-5);
      assert.ok(Math.abs(loss.continuous!.item() - continuous) < 1e-4);
      assert.ok(Math.abs(loss.total!.item() - (2 * categorical + 0.5 * continuous)) < 1e-4);
      model.dispose();
    });
  });

  it('sends its gradients to the generator and the Q head', () => {
    tidy(() => {
      const model = new InfoGAN(MNIST, MNIST_IMAGE, new Generator(5));
      const codes = model.sampleLatent(8, new Generator(6));
      const features = model.features(model.generate(codes.latent));
      const loss = informationLoss(model.predictCodes(features), codes,
        { categorical: 1, continuous: 1 });
      loss.total!.backward();
      const nonzero = (params: Tensor[]) => params.every((p) => {
        const g = p.grad;
        return g !== null && g.abs().sum().item() > 0;
      });
      assert.ok(nonzero(model.generator.parameters()), 'every generator parameter gets a gradient');
      assert.ok(nonzero(model.qHead!.parameters()), 'every Q parameter gets a gradient');
      assert.ok(model.realFakeHead.parameters().every((p) => p.grad === null),
        'the real/fake head gets none');
      model.dispose();
    });
  });
});

describe('memory', () => {
  it('keeps the live tensor count flat over training steps', async () => {
    const { trainStep } = await import('../train/step');
    const model = new InfoGAN(MNIST, MNIST_IMAGE, new Generator(7));
    const context = {
      model, rng: new Generator(8), lambdas: { categorical: 1, continuous: 1 },
      generatorOptimizer: new Adam(model.generatorParameters(), { lr: 1e-3, betas: [0.5, 0.999] }),
      discriminatorOptimizer: new Adam(model.discriminatorParameters(), { lr: 2e-4, betas: [0.5, 0.999] }),
    };
    const real = rand([8, 1, 28, 28]);
    trainStep(context, real);
    const before = memory().numTensors;
    for (let i = 0; i < 20; i++) trainStep(context, real);
    assert.equal(memory().numTensors, before);
    real.dispose();
    model.dispose();
    context.generatorOptimizer.dispose();
    context.discriminatorOptimizer.dispose();
  });

  it('frees what a scope made except what it returns', () => {
    const before = memory().numTensors;
    const kept = tidy(() => full([2, 1], 1).add(1).mul(3));
    assert.equal(memory().numTensors, before + 1);
    assert.deepEqual(kept.toArray(), [6, 6]);
    kept.dispose();
    assert.equal(memory().numTensors, before);
  });
});
