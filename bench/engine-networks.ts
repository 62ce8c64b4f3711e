/**
 * The benchmark's networks and training step, layer for layer as in
 * /work/shared/bench/pytorch_reference.py, built from the engine's own `nn` modules (the
 * trainer's model code is measured elsewhere). Images are [batch, channels, height, width].
 */
import * as F from '../src/torch/functional';
import * as nn from '../src/torch/nn';
import { Adam } from '../src/torch/optim';
import {
  Tensor, cat, noGrad, oneHot, ones, rand, randint, randn, tidy, zeros,
} from '../src/torch/tensor';

export type Arch = 'mnist' | 'faces64';

export interface Codes {
  categorical: number[];
  continuous: number;
  noise: number;
  image: [number, number, number];
}

export interface Networks {
  generator: nn.Sequential;
  body: nn.Sequential;
  realFakeHead: nn.Linear;
  qHead: nn.Sequential;
  codes: Codes;
}

const relu = (): nn.Module => new nn.Activation('relu');
const lrelu = (): nn.Module => new nn.Activation('lrelu', 0.1);

/** MNIST, 28x28x1: Cat(10) + 2 continuous + 62 noise (paper, Table 1). */
function mnistNetworks(): Omit<Networks, 'realFakeHead' | 'qHead'> {
  const generator = new nn.Sequential([
    new nn.Linear(74, 1024), new nn.BatchNorm(1024), relu(),
    new nn.Linear(1024, 7 * 7 * 128), new nn.BatchNorm(7 * 7 * 128), relu(),
    new nn.Reshape([128, 7, 7]),
    new nn.ConvTranspose2d(128, 64, 4, { stride: 2, padding: 1 }), // [64, 14, 14]
    new nn.BatchNorm(64), relu(),
    new nn.ConvTranspose2d(64, 1, 4, { stride: 2, padding: 1 }), // [1, 28, 28]
    new nn.Activation('sigmoid'),
  ]);
  const body = new nn.Sequential([
    new nn.Conv2d(1, 64, 4, { stride: 2, padding: [1, 1, 1, 1] }), lrelu(), // [64, 14, 14]
    new nn.Conv2d(64, 128, 4, { stride: 2, padding: [1, 1, 1, 1] }), // [128, 7, 7]
    new nn.BatchNorm(128), lrelu(),
    new nn.Reshape([7 * 7 * 128]),
    new nn.Linear(7 * 7 * 128, 1024), new nn.BatchNorm(1024), lrelu(),
  ]);
  const codes: Codes = { categorical: [10], continuous: 2, noise: 62, image: [1, 28, 28] };
  return { generator, body, codes };
}

/** 64x64x1: 3 x Cat(20) + 1 continuous + 128 noise, the seven-layer networks. */
function faces64Networks(): Omit<Networks, 'realFakeHead' | 'qHead'> {
  // Stride 1 keeps the size (kernel 4, SAME padding [1, 2, 1, 2]); stride 2 doubles it.
  const up = (cin: number, cout: number, stride: 1 | 2): nn.Module[] => [
    stride === 2 ? new nn.ConvTranspose2d(cin, cout, 4, { stride: 2, padding: 1 })
      : new nn.Conv2d(cin, cout, 4, { padding: [1, 2, 1, 2] }),
    new nn.BatchNorm(cout), relu(),
  ];
  const down = (cin: number, cout: number, stride: 1 | 2): nn.Module[] => [
    new nn.Conv2d(cin, cout, 4, { stride, padding: stride === 2 ? [1, 1, 1, 1] : [1, 2, 1, 2] }),
    new nn.BatchNorm(cout), relu(),
  ];
  const codes: Codes = { categorical: [20, 20, 20], continuous: 1, noise: 128, image: [1, 64, 64] };
  const latent = codes.categorical.reduce((a, b) => a + b, 0) + codes.continuous + codes.noise;
  const generator = new nn.Sequential([
    new nn.Linear(latent, 1024), new nn.BatchNorm(1024), relu(),
    new nn.Linear(1024, 8 * 8 * 256), new nn.BatchNorm(8 * 8 * 256), relu(),
    new nn.Reshape([256, 8, 8]),
    ...up(256, 256, 1), ...up(256, 256, 2), ...up(256, 128, 2), ...up(128, 64, 2), // [64, 64, 64]
    new nn.Conv2d(64, 1, 4, { padding: [1, 2, 1, 2] }), new nn.Activation('sigmoid'), // [1, 64, 64]
  ]);
  const body = new nn.Sequential([
    ...down(1, 64, 2), ...down(64, 128, 2), ...down(128, 256, 2), // [256, 8, 8]
    ...down(256, 256, 1), ...down(256, 256, 1),
    new nn.Reshape([8 * 8 * 256]),
    new nn.Linear(8 * 8 * 256, 1024), new nn.BatchNorm(1024), relu(),
  ]);
  return { generator, body, codes };
}

export function buildNetworks(arch: Arch): Networks {
  const { generator, body, codes } = arch === 'mnist' ? mnistNetworks() : faces64Networks();
  const codeWidth = codes.categorical.reduce((a, b) => a + b, 0) + codes.continuous;
  return {
    generator, body, codes,
    realFakeHead: new nn.Linear(1024, 1),
    qHead: new nn.Sequential([
      new nn.Linear(1024, 128), new nn.BatchNorm(128), lrelu(), new nn.Linear(128, codeWidth),
    ]),
  };
}

/** [noise ~ N(0, 1), one-hot categorical codes, continuous codes ~ U(-1, 1)] and the codes. */
export function sampleLatent(codes: Codes, n: number):
  { latent: Tensor; classes: Tensor[]; continuous: Tensor } {
  const noise = randn([n, codes.noise]);
  const classes = codes.categorical.map((k) => randint(k, [n]));
  const oneHots = classes.map((c, i) => oneHot(c, codes.categorical[i]));
  const continuous = rand([n, codes.continuous]).mul(2).sub(1);
  return { latent: cat([noise, ...oneHots, continuous], 1), classes, continuous };
}

/** The two Adams and one training step (D step, then G + Q step), as the reference runs them. */
export function makeTrainer(nets: Networks, batch: number):
  { step: (real: Tensor) => [number, number]; dispose: () => void } {
  const { generator, body, realFakeHead, qHead, codes } = nets;
  const dOptimiser = new Adam([...body.parameters(), ...realFakeHead.parameters()],
    { lr: 2e-4, betas: [0.5, 0.999] });
  const gOptimiser = new Adam([...generator.parameters(), ...qHead.parameters()],
    { lr: 1e-3, betas: [0.5, 0.999] });
  const real1 = ones([batch, 1]).keep();
  const fake0 = zeros([batch, 1]).keep();
  const discriminate = (x: Tensor): Tensor => realFakeHead.forward(body.forward(x));

  const step = (real: Tensor): [number, number] => tidy(() => {
    const { latent, classes, continuous } = sampleLatent(codes, batch);
    const fake = generator.forward(latent);

    // Discriminator: maximise log D(x) + log(1 - D(G(z))).
    dOptimiser.zeroGrad();
    const dLoss = F.bceWithLogits(discriminate(real), real1)
      .add(F.bceWithLogits(discriminate(fake.detach()), fake0));
    dLoss.backward();
    dOptimiser.step();

    // Generator and Q: fool D (non-saturating) and keep the codes recoverable from the image.
    gOptimiser.zeroGrad();
    const featuresFake = body.forward(fake);
    const q = qHead.forward(featuresFake);
    // Q's categorical codes by cross-entropy, its continuous ones by a unit Gaussian.
    const parts: Tensor[] = [];
    let start = 0;
    codes.categorical.forEach((k, i) => {
      parts.push(F.crossEntropy(q.narrow(1, start, k), classes[i]));
      start += k;
    });
    parts.push(q.narrow(1, start, codes.continuous).sub(continuous).square().sum(1).mean()
      .mul(0.5));
    const info = parts.reduce((a, b) => a.add(b));
    const gLoss = F.bceWithLogits(realFakeHead.forward(featuresFake), real1).add(info);
    gLoss.backward();
    gOptimiser.step();
    return [dLoss.item(), gLoss.item()];
  });

  const dispose = (): void => {
    dOptimiser.dispose();
    gOptimiser.dispose();
    real1.dispose();
    fake0.dispose();
  };
  return { step, dispose };
}

/** One batch of 100 samples in eval mode without autograd, freed at once. */
export function sampleOnce(nets: Networks): void {
  tidy(() => noGrad(() => nets.generator.forward(sampleLatent(nets.codes, 100).latent)));
}
